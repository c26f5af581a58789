import { MemoryQueue } from '../../src/queue/memory.js';
import { testQueue } from '../conformance/queue.js';

testQueue('memory', async () => {
  const queue = new MemoryQueue();
  return { queue, cleanup: () => queue.close() };
});
