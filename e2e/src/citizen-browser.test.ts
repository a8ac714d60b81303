import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { startBrowserWorld, type BrowserWorld } from './browser-world.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld('citizen-browser');
}, 120_000);
afterAll(() => world?.close(), 30_000);

/** The newest code the sandbox delivered to this number (what the citizen reads on the phone). */
async function codeSentTo(phone: string, after: number): Promise<string> {
  return waitFor(
    async () => {
      const inbox = (await (await fetch(`${world.platform.urls.sandbox}/inbox/api/sms?to=${encodeURIComponent(phone)}`)).json()) as { messages: Array<{ body: string }> };
      // Newest first, as the inbox page shows them.
      return inbox.messages.length > after && /([0-9]{6})/.exec(inbox.messages[0]!.body)?.[1];
    },
    { what: `a code for ${phone}`, timeoutMs: 15_000 },
  );
}

describe('a citizen abroad, in Arabic, in a real browser', () => {
  it('enrols, logs in, and steps up with the SMS code read from the sandbox inbox', async () => {
    const phone = '+4915123456789';
    const enrolment = await world.browser.newContext({ locale: 'ar' });
    const page = await enrolment.newPage();
    const finish = await world.authorize(page);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    await world.screenshot(page, 'login');
    await page.getByRole('link', { name: 'ليس لديك حساب؟ أنشئ حسابًا' }).click();
    await world.screenshot(page, 'enrol-identity');
    await page.getByLabel('رقم الهوية').fill('٩٠٠٠٠٠٠٣٥');
    await page.getByLabel('تاريخ الميلاد').fill('1979-06-05');
    await page.getByLabel('اسم الأم الأول').fill('سعاد');
    await page.getByRole('button', { name: 'متابعة' }).click();
    await world.screenshot(page, 'enrol-phone');
    await page.getByLabel('رقم الهاتف المحمول').fill(phone);
    await page.getByRole('button', { name: 'متابعة' }).click();
    await world.screenshot(page, 'enrol-code');
    await page.getByLabel('رمز التحقق').fill(await codeSentTo(phone, 0));
    await page.getByRole('button', { name: 'تحقّق' }).click();
    await world.screenshot(page, 'enrol-password');
    await page.getByLabel('كلمة المرور الجديدة').fill('jerusalem-olive-1979');
    await page.getByLabel('أعد كتابة كلمة المرور').fill('jerusalem-olive-1979');
    await page.getByRole('button', { name: 'متابعة' }).click();
    // An e-mail address and an authenticator app are offered; both can wait.
    await page.getByRole('link', { name: 'أضف بريدًا إلكترونيًا' }).waitFor();
    await world.screenshot(page, 'enrol-extras');
    await page.getByRole('button', { name: 'ليس الآن، تابع دونهما' }).click();
    const enrolled = await finish();
    expect(enrolled.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', name: 'يوسف عادل حسن البرغوثي', phone_number: phone });
    await enrolment.close();

    // Another day: the password alone for a low-level service, then a step that needs more.
    const later = await world.browser.newContext({ locale: 'ar' });
    const day2 = await later.newPage();
    const finishLogin = await world.authorize(day2);
    await day2.getByLabel('رقم الهوية').fill('900000035');
    await day2.getByLabel('كلمة المرور').fill('jerusalem-olive-1979');
    await world.screenshot(day2, 'login-filled');
    await day2.getByRole('button', { name: 'دخول' }).click();
    expect((await finishLogin()).claims()).toMatchObject({ acr: 'urn:tamkeen:loa:low' });

    const finishStepUp = await world.authorize(day2, { acr_values: 'urn:tamkeen:loa:substantial' });
    await world.screenshot(day2, 'step-up-code');
    expect(await day2.getByLabel('كلمة المرور').count()).toBe(0);
    await day2.getByLabel('رمز التحقق').fill(await codeSentTo(phone, 1));
    await day2.getByRole('button', { name: 'تحقّق' }).click();
    const steppedUp = await finishStepUp();
    expect(steppedUp.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'] });
    await later.close();
  }, 90_000);
});
