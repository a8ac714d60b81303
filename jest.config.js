// `npm test` runs every workspace's Jest project in one run; each workspace can also run alone
// (`npm test -w @tamkeen/gateway`).
export default {
  projects: ['<rootDir>/packages/*/jest.config.js', '<rootDir>/services/*/jest.config.js', '<rootDir>/e2e/jest.config.js'],
  maxWorkers: 2,
};
