#!/usr/bin/env node
// Entry point installed as `tskeepalived`; the code lives in dist/ (built from src/ by `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
