export { smsSegments, type SmsEncoding, type SmsSegments } from './sms-segments.js';
