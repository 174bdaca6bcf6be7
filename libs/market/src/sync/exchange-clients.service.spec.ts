import { rebaseUrls } from './exchange-clients.service';

describe('rebaseUrls', () => {
  it('moves every REST URL to the given origin and keeps the paths', () => {
    const urls = {
      public: 'https://api.binance.com/api/v3',
      fapiPublic: 'https://fapi.binance.com/fapi/v1',
      nested: { rest: 'https://api.{hostname}/v2', ws: 'wss://stream.binance.com:9443/ws' },
    };
    expect(rebaseUrls(urls, 'http://127.0.0.1:9000')).toEqual({
      public: 'http://127.0.0.1:9000/api/v3',
      fapiPublic: 'http://127.0.0.1:9000/fapi/v1',
      nested: { rest: 'http://127.0.0.1:9000/v2', ws: 'wss://stream.binance.com:9443/ws' },
    });
  });

  it('rebases a single URL string too', () => {
    expect(rebaseUrls('https://api.kraken.com', 'https://proxy.test/kraken')).toBe('https://proxy.test/kraken');
  });
});
