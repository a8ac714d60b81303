import { jestPreset } from './src/index.js';

export default jestPreset(import.meta.url);
