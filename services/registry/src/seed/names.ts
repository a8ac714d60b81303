/** Common Palestinian given and family names, Arabic with the transliteration used on ID cards. */
export type Name = readonly [ar: string, en: string];

export const MALE_NAMES: readonly Name[] = [
  ['محمد', 'Mohammad'], ['أحمد', 'Ahmad'], ['محمود', 'Mahmoud'], ['خالد', 'Khaled'], ['عمر', 'Omar'], ['يوسف', 'Yousef'],
  ['إبراهيم', 'Ibrahim'], ['علي', 'Ali'], ['حسن', 'Hasan'], ['حسين', 'Hussein'], ['مصطفى', 'Mustafa'], ['سامي', 'Sami'],
  ['سمير', 'Samir'], ['عادل', 'Adel'], ['فتحي', 'Fathi'], ['صالح', 'Saleh'], ['رامي', 'Rami'], ['باسل', 'Basel'],
  ['طارق', 'Tareq'], ['زياد', 'Ziad'], ['ناصر', 'Nasser'], ['جمال', 'Jamal'], ['كمال', 'Kamal'], ['وليد', 'Walid'],
  ['نبيل', 'Nabil'], ['فادي', 'Fadi'], ['عماد', 'Imad'], ['مروان', 'Marwan'], ['هاني', 'Hani'], ['ماجد', 'Majed'],
  ['سعيد', 'Saeed'], ['عبد الله', 'Abdallah'], ['عبد الرحمن', 'Abdelrahman'], ['عبد الكريم', 'Abdelkarim'], ['عيسى', 'Issa'], ['موسى', 'Mousa'],
  ['جورج', 'George'], ['إلياس', 'Elias'], ['حنا', 'Hanna'], ['أنس', 'Anas'], ['معاذ', 'Moath'], ['قيس', 'Qais'],
  ['شادي', 'Shadi'], ['أيمن', 'Ayman'], ['بلال', 'Bilal'], ['حمزة', 'Hamza'], ['إياد', 'Iyad'], ['جهاد', 'Jihad'],
  ['راشد', 'Rashed'], ['نضال', 'Nidal'], ['هشام', 'Hisham'], ['وائل', 'Wael'], ['يحيى', 'Yahya'], ['زكريا', 'Zakaria'],
];

export const FEMALE_NAMES: readonly Name[] = [
  ['فاطمة', 'Fatima'], ['مريم', 'Maryam'], ['ليلى', 'Layla'], ['رانيا', 'Rania'], ['سارة', 'Sara'], ['نور', 'Nour'],
  ['هبة', 'Heba'], ['آمنة', 'Amna'], ['عائشة', 'Aisha'], ['خديجة', 'Khadija'], ['زينب', 'Zainab'], ['سلمى', 'Salma'],
  ['رنا', 'Rana'], ['لينا', 'Lina'], ['دينا', 'Dina'], ['ريم', 'Reem'], ['هالة', 'Hala'], ['منى', 'Muna'],
  ['سماح', 'Samah'], ['أمل', 'Amal'], ['ياسمين', 'Yasmin'], ['ديما', 'Dima'], ['رشا', 'Rasha'], ['إيمان', 'Iman'],
  ['نادية', 'Nadia'], ['سعاد', 'Suad'], ['وفاء', 'Wafa'], ['هيام', 'Hiyam'], ['جميلة', 'Jamila'], ['كريمة', 'Karima'],
  ['ميساء', 'Maysaa'], ['رزان', 'Razan'], ['تسنيم', 'Tasneem'], ['آية', 'Aya'], ['بيسان', 'Bisan'], ['جنى', 'Jana'],
  ['حلا', 'Hala'], ['سوسن', 'Sawsan'], ['عبير', 'Abeer'], ['غادة', 'Ghada'], ['ماريا', 'Maria'], ['نسرين', 'Nisreen'],
];

export const FAMILY_NAMES: readonly Name[] = [
  ['حداد', 'Haddad'], ['نصار', 'Nassar'], ['عودة', 'Odeh'], ['خليل', 'Khalil'], ['البرغوثي', 'Al-Barghouti'], ['الخطيب', 'Al-Khatib'],
  ['التميمي', 'Al-Tamimi'], ['الشريف', 'Al-Sharif'], ['المصري', 'Al-Masri'], ['النابلسي', 'Al-Nabulsi'], ['الجعبري', 'Al-Jaabari'], ['القواسمي', 'Al-Qawasmi'],
  ['أبو عيشة', 'Abu Aisha'], ['أبو شنب', 'Abu Shanab'], ['أبو زيد', 'Abu Zeid'], ['عبد الهادي', 'Abdelhadi'], ['الحسيني', 'Al-Husseini'], ['النشاشيبي', 'Al-Nashashibi'],
  ['دويكات', 'Dweikat'], ['اشتية', 'Shtayyeh'], ['عريقات', 'Erekat'], ['زعرب', 'Zourob'], ['شعث', 'Shaath'], ['الريس', 'Al-Rayyes'],
  ['حمدان', 'Hamdan'], ['سلامة', 'Salameh'], ['منصور', 'Mansour'], ['صيام', 'Siyam'], ['الأغا', 'Al-Agha'], ['الفرا', 'Al-Farra'],
  ['أبو حسنة', 'Abu Hasna'], ['عاشور', 'Ashour'], ['جرار', 'Jarrar'], ['طوقان', 'Touqan'], ['كنعان', 'Kanaan'], ['عرفات', 'Arafat'],
  ['الخالدي', 'Al-Khalidi'], ['قاسم', 'Qasem'], ['صبح', 'Sobh'], ['ياسين', 'Yassin'], ['شاهين', 'Shaheen'], ['حجازي', 'Hijazi'],
  ['بشارة', 'Bishara'], ['خوري', 'Khoury'], ['سابا', 'Saba'], ['قمصية', 'Qumsiyeh'], ['حنانيا', 'Hananiya'], ['عطا الله', 'Atallah'],
];

/** Governorates, with a city or town a citizen may be born in. */
export const GOVERNORATES: ReadonlyArray<{ name: string; region: 'west-bank' | 'gaza'; places: readonly string[] }> = [
  { name: 'Jerusalem', region: 'west-bank', places: ['Jerusalem', 'Al-Eizariya', 'Abu Dis', 'Beit Hanina'] },
  { name: 'Ramallah and Al-Bireh', region: 'west-bank', places: ['Ramallah', 'Al-Bireh', 'Birzeit', 'Silwad'] },
  { name: 'Nablus', region: 'west-bank', places: ['Nablus', 'Huwara', 'Beita', 'Asira ash-Shamaliya'] },
  { name: 'Hebron', region: 'west-bank', places: ['Hebron', 'Dura', 'Yatta', 'Halhul'] },
  { name: 'Bethlehem', region: 'west-bank', places: ['Bethlehem', 'Beit Jala', 'Beit Sahour', 'Al-Khader'] },
  { name: 'Jenin', region: 'west-bank', places: ['Jenin', 'Qabatiya', "Ya'bad", 'Arraba'] },
  { name: 'Tulkarm', region: 'west-bank', places: ['Tulkarm', 'Anabta', "Bal'a"] },
  { name: 'Qalqilya', region: 'west-bank', places: ['Qalqilya', 'Azzun', 'Habla'] },
  { name: 'Salfit', region: 'west-bank', places: ['Salfit', 'Biddya', 'Kifl Haris'] },
  { name: 'Tubas', region: 'west-bank', places: ['Tubas', 'Tammun', 'Aqqaba'] },
  { name: 'Jericho', region: 'west-bank', places: ['Jericho', 'Al-Auja'] },
  { name: 'North Gaza', region: 'gaza', places: ['Jabalia', 'Beit Lahia', 'Beit Hanoun'] },
  { name: 'Gaza', region: 'gaza', places: ['Gaza', 'Al-Shati', 'Al-Zaytoun'] },
  { name: 'Deir al-Balah', region: 'gaza', places: ['Deir al-Balah', 'Nuseirat', 'Al-Maghazi', 'Al-Bureij'] },
  { name: 'Khan Yunis', region: 'gaza', places: ['Khan Yunis', 'Bani Suheila', 'Abasan'] },
  { name: 'Rafah', region: 'gaza', places: ['Rafah', 'Al-Shawka'] },
];
