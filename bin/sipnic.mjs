#!/usr/bin/env node
// The sipnic command, straight from a checkout: tsx compiles the TypeScript on load.
import { register } from 'tsx/esm/api';

register();
await import('../host/src/cli/main.ts');
