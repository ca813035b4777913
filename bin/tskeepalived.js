#!/usr/bin/env node
// Entry point installed as `tskeepalived`; the code lives in dist/ (built from src/ by `npm run build`).
import { mainAsync } from '../dist/cli/main.js';

process.exitCode = await mainAsync(process.argv.slice(2));
