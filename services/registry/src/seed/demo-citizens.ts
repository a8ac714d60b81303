import { checkDigitOf } from '@tamkeen/citizen-input';
import type { Citizen } from '../register/citizen.js';

const id = (firstEight: string) => `${firstEight}${checkDigitOf(firstEight)}`;

/**
 * Named citizens for demonstrations and tests, listed in the README. Their ID numbers start with 9;
 * the synthetic ones never do.
 */
export const DEMO_CITIZENS: readonly Citizen[] = [
  {
    nationalId: id('90000001'),
    name: { ar: ['ليلى', 'أحمد', 'محمود', 'حداد'], en: ['Layla', 'Ahmad', 'Mahmoud', 'Haddad'] },
    dateOfBirth: '1990-04-12',
    sex: 'female',
    motherFirstNameAr: 'مريم',
    placeOfBirth: 'Ramallah',
    governorate: 'Ramallah and Al-Bireh',
    cardIssueDate: '2016-09-01',
    status: 'alive',
    cardStatus: 'valid',
  },
  {
    nationalId: id('90000002'),
    name: { ar: ['عمر', 'خالد', 'يوسف', 'نصار'], en: ['Omar', 'Khaled', 'Yousef', 'Nassar'] },
    dateOfBirth: '1985-11-30',
    sex: 'male',
    motherFirstNameAr: 'فاطمة',
    placeOfBirth: 'Gaza',
    governorate: 'Gaza',
    cardIssueDate: '2012-02-15',
    status: 'alive',
    cardStatus: 'valid',
  },
  {
    // Lives abroad (Berlin); enrols with a German mobile number.
    nationalId: id('90000003'),
    name: { ar: ['يوسف', 'عادل', 'حسن', 'البرغوثي'], en: ['Yousef', 'Adel', 'Hasan', 'Al-Barghouti'] },
    dateOfBirth: '1979-06-05',
    sex: 'male',
    motherFirstNameAr: 'سعاد',
    placeOfBirth: 'Birzeit',
    governorate: 'Ramallah and Al-Bireh',
    cardIssueDate: '2010-05-20',
    status: 'alive',
    cardStatus: 'valid',
  },
  {
    nationalId: id('90000004'),
    name: { ar: ['محمود', 'إبراهيم', 'صالح', 'عودة'], en: ['Mahmoud', 'Ibrahim', 'Saleh', 'Odeh'] },
    dateOfBirth: '1948-01-20',
    sex: 'male',
    motherFirstNameAr: 'آمنة',
    placeOfBirth: 'Nablus',
    governorate: 'Nablus',
    cardIssueDate: '1998-03-10',
    status: 'deceased',
    cardStatus: 'valid',
  },
  {
    nationalId: id('90000005'),
    name: { ar: ['رانيا', 'سمير', 'فتحي', 'خليل'], en: ['Rania', 'Samir', 'Fathi', 'Khalil'] },
    dateOfBirth: '1995-08-17',
    sex: 'female',
    motherFirstNameAr: 'هالة',
    placeOfBirth: 'Hebron',
    governorate: 'Hebron',
    cardIssueDate: '2019-12-01',
    status: 'alive',
    cardStatus: 'revoked',
  },
];
