import { Redis } from 'ioredis';

import { TestRedisServer } from '../../support/redis-server';

describe('TestRedisServer', () => {
  it('starts, kills and restarts on the same port', async () => {
    const server = await TestRedisServer.start();
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
    try {
      await client.connect();
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');

      await server.kill();
      await expect(client.get('k')).rejects.toThrow();

      await server.restart();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await client.get('k')).toBeNull();
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
