import { fileURLToPath } from 'node:url';
import { freePort, startBuiltService } from '@tamkeen/testing';

export interface RunningSandbox {
  url: string;
  smtpPort: number;
  accountSid: string;
  authToken: string;
  stop(): Promise<void>;
}

const sandboxMain = fileURLToPath(new URL('../../sandbox/dist/main.js', import.meta.url));

/**
 * The real sandbox service (its build), on free ports, standing in for Twilio and the SMTP server
 * as it does under npm start. Resolves once it answers.
 */
export async function startSandbox(): Promise<RunningSandbox> {
  const accountSid = 'AC11111111111111111111111111111111';
  const authToken = 'notifications-test-sandbox-token';
  const [port, smtpPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const sandbox = await startBuiltService({
    name: 'the sandbox',
    file: sandboxMain,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), SMTP_PORT: String(smtpPort), SMS_STEP_DELAY_MS: '0', TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken },
    healthUrl: url,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { url, smtpPort, accountSid, authToken, stop: sandbox.stop };
}
