export { ConfigError, type ConfigProblem } from './config-error.js';
export { loadConfig, loadConfigOrExit, type Env } from './load-config.js';
export * from './variables.js';
export { z } from 'zod';
