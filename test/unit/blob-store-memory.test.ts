import { MemoryBlobStore } from '../../src/storage/memory/memory-blob-store.js';
import { blobStoreSuite } from '../suites/blob-store.suite.js';

blobStoreSuite('memory', async () => ({ store: new MemoryBlobStore() }));
