#!/usr/bin/env node
// Berth ships its TypeScript sources and runs them through tsx's loader, so an install needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
