// Preloaded into benchmarked node processes: prints the peak RSS (KiB) on exit.
process.on('exit', () => {
  process.stderr.write(`\nswitchyard-bench-maxrss=${process.resourceUsage().maxRSS}\n`);
});
