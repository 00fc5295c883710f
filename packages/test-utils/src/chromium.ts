import type { Browser } from 'playwright-core'

/** Launches the system Chromium (`/usr/bin/chromium`) headless through playwright-core. Never downloads a browser. */
export async function launchChromium(executablePath = '/usr/bin/chromium'): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
