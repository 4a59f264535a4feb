import { openDb } from '../../src/store/db.ts';
import { storeCases } from './cases.ts';

storeCases('PGlite (memory://)', () => openDb('memory://'));
storeCases('PGlite (memory://)', () => openDb('memory://'), { gistPath: true });
