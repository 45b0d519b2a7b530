// The embedded store against the shared contract.
import { createMemoryStore } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';

storeContract('memory', async (opts) => createMemoryStore(opts));
