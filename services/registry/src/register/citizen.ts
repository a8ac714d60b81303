/** A citizen as the register holds them. Dates are ISO (YYYY-MM-DD). */
export interface Citizen {
  nationalId: string;
  name: { ar: readonly [string, string, string, string]; en: readonly [string, string, string, string] };
  dateOfBirth: string;
  sex: 'male' | 'female';
  motherFirstNameAr: string;
  placeOfBirth: string;
  governorate: string;
  cardIssueDate: string;
  status: 'alive' | 'deceased';
  cardStatus: 'valid' | 'revoked';
}

/** The facts a caller may ask the register to confirm, besides the ID number. */
export const VERIFIABLE_FACTS = ['date_of_birth', 'first_name_ar', 'father_name_ar', 'grandfather_name_ar', 'family_name_ar', 'first_name_en', 'family_name_en', 'mother_first_name_ar', 'place_of_birth', 'card_issue_date', 'sex'] as const;
export type VerifiableFact = (typeof VERIFIABLE_FACTS)[number];

export interface CitizenRow {
  national_id: string;
  first_name_ar: string;
  father_name_ar: string;
  grandfather_name_ar: string;
  family_name_ar: string;
  first_name_en: string;
  father_name_en: string;
  grandfather_name_en: string;
  family_name_en: string;
  date_of_birth: string;
  sex: 'male' | 'female';
  mother_first_name_ar: string;
  place_of_birth: string;
  governorate: string;
  card_issue_date: string;
  status: 'alive' | 'deceased';
  card_status: 'valid' | 'revoked';
}

export function rowOf(c: Citizen): CitizenRow {
  return {
    national_id: c.nationalId,
    first_name_ar: c.name.ar[0],
    father_name_ar: c.name.ar[1],
    grandfather_name_ar: c.name.ar[2],
    family_name_ar: c.name.ar[3],
    first_name_en: c.name.en[0],
    father_name_en: c.name.en[1],
    grandfather_name_en: c.name.en[2],
    family_name_en: c.name.en[3],
    date_of_birth: c.dateOfBirth,
    sex: c.sex,
    mother_first_name_ar: c.motherFirstNameAr,
    place_of_birth: c.placeOfBirth,
    governorate: c.governorate,
    card_issue_date: c.cardIssueDate,
    status: c.status,
    card_status: c.cardStatus,
  };
}
