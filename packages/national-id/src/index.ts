export { checkDigitOf, parseNationalId, westernDigits, type ParsedNationalId } from './national-id.js';
