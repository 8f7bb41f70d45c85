// Ace by DAISY drives Chromium through Puppeteer. Puppeteer must not download a browser at
// install time (this network forbids it); it uses Debian's chromium instead.
module.exports = {
  skipDownload: true,
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
};
