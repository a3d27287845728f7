// One Chromium for all of TestBrowser's scripts (internal/app/browser_test.go
// starts it with a script's arguments): launches the browser as lib.mjs
// would, prints its Playwright endpoint as the first line of stdout, and
// closes the browser when stdin closes (the Go side ended, however it
// ended). Each script connects (lib.mjs launch, HOKM_BROWSER_WS) and works
// in contexts of its own: the scripts share the browser's start (about
// 2 CPU-seconds each), not their pages.

import { chromium } from 'playwright-core'
import { launchOptions } from './lib.mjs'

const server = await chromium.launchServer(launchOptions)
console.log(server.wsEndpoint())
process.stdin.resume()
process.stdin.on('end', async () => { await server.close(); process.exit(0) })
