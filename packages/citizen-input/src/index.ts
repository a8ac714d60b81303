export { westernDigits } from './digits.js';
export { checkDigitOf, parseNationalId, type ParsedNationalId } from './national-id.js';
export { mobileNumber, type PhoneNumberResult } from './phone-number.js';
