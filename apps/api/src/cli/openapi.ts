import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../openapi-document.js';

// npm run openapi: regenerates ./openapi.json, the reviewed copy of the wire contract.
writeFileSync('openapi.json', JSON.stringify(await openApiDocument(), null, 2) + '\n');
console.log('wrote openapi.json');
process.exit(0);
