import { MemoryQueue } from '../../src/queue/memory/queue.js';
import { testQueue } from '../conformance/queue.js';

testQueue('memory', async () => {
  const queue = new MemoryQueue();
  return {
    queue,
    publishRaw: async (bodies) => queue.publishBodies(bodies),
    cleanup: () => queue.close(),
  };
});
