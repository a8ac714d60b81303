import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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
 * as it does under npm start. Resolves once it listens on both.
 */
export function startSandbox(): Promise<RunningSandbox> {
  const accountSid = 'AC11111111111111111111111111111111';
  const authToken = 'notifications-test-sandbox-token';
  const child: ChildProcess = spawn(process.execPath, [sandboxMain], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', SMTP_PORT: '0', SMS_STEP_DELAY_MS: '0', TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let url: string | undefined;
    let smtpPort: number | undefined;
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('the sandbox did not start within 10 s'));
    }, 10_000);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the sandbox exited (${code}) before listening (is it built?): ${stderr.slice(0, 500)}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string; port?: number };
      if (entry.msg === 'listening') url = entry.url;
      if (entry.msg === 'SMTP sink listening') smtpPort = entry.port;
      if (url && smtpPort !== undefined) {
        clearTimeout(timer);
        resolve({ url, smtpPort, accountSid, authToken, stop });
      }
    });
  });
}
