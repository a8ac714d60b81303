// Free ports for the services a benchmark starts, never those `npm start` uses (a bench can run
// next to the platform).
import { freePort as anyFreePort } from '@tamkeen/testing';

const PLATFORM_PORTS = new Set([2525, 4001, 4002, 4003, 4004, 4005, 4013, 8080]);

/** A port nothing listens on right now (and not one `npm start` uses). */
export const freePort = () => anyFreePort({ avoid: PLATFORM_PORTS });
