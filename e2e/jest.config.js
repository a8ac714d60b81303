import { jestPreset } from '@tamkeen/testing';

export default jestPreset(import.meta.url);
