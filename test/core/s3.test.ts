/**
 * s3:// URL parsing (good and bad URLs, environment fallbacks, credentials refused), URL formatting round
 * trips, and the SDK-error -> GepError table.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatS3Url, parseS3ObjectUrl, parseS3Url, s3Client, s3ErrorToGep, type S3Location } from '../../src/core/s3.ts';

const ENV_NAMES = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION'] as const;

describe('parseS3Url', () => {
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const k of ENV_NAMES) {
      saved.set(k, process.env[k]);
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('good URLs', () => {
    const good: [string, S3Location][] = [
      ['s3://bucket', { bucket: 'bucket', prefix: '', region: 'us-east-1', forcePathStyle: false }],
      ['s3://bucket/', { bucket: 'bucket', prefix: '', region: 'us-east-1', forcePathStyle: false }],
      ['s3://my.bucket-1/a/b', { bucket: 'my.bucket-1', prefix: 'a/b/', region: 'us-east-1', forcePathStyle: false }],
      ['s3://abc/a/b///', { bucket: 'abc', prefix: 'a/b/', region: 'us-east-1', forcePathStyle: false }],
      ['s3://abc/sp%20ace/%C3%A9', { bucket: 'abc', prefix: 'sp ace/é/', region: 'us-east-1', forcePathStyle: false }],
      ['s3://abc?region=eu-west-3', { bucket: 'abc', prefix: '', region: 'eu-west-3', forcePathStyle: false }],
      [
        's3://abc/p?endpoint=http://127.0.0.1:9000/',
        { bucket: 'abc', prefix: 'p/', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true },
      ],
      [
        's3://abc?endpoint=https://s3.example.org&path_style=false&region=garage',
        { bucket: 'abc', prefix: '', endpoint: 'https://s3.example.org', region: 'garage', forcePathStyle: false },
      ],
      ['s3://abc?path_style=1', { bucket: 'abc', prefix: '', region: 'us-east-1', forcePathStyle: true }],
      [`s3://${'a'.repeat(63)}`, { bucket: 'a'.repeat(63), prefix: '', region: 'us-east-1', forcePathStyle: false }],
    ];
    for (const [u, want] of good) assert.deepEqual(parseS3Url(u), want, u);
  });

  test('environment fallbacks: endpoint S3-specific first, region AWS_REGION first', () => {
    process.env.AWS_ENDPOINT_URL = 'http://generic:1';
    process.env.AWS_DEFAULT_REGION = 'eu-central-1';
    assert.deepEqual(parseS3Url('s3://abc'), { bucket: 'abc', prefix: '', endpoint: 'http://generic:1', region: 'eu-central-1', forcePathStyle: true });
    process.env.AWS_ENDPOINT_URL_S3 = 'http://s3only:2';
    process.env.AWS_REGION = 'ap-south-1';
    assert.deepEqual(parseS3Url('s3://abc'), { bucket: 'abc', prefix: '', endpoint: 'http://s3only:2', region: 'ap-south-1', forcePathStyle: true });
    // The URL wins over the environment.
    assert.equal(parseS3Url('s3://abc?endpoint=http://url:3&region=r1').endpoint, 'http://url:3');
    assert.equal(parseS3Url('s3://abc?endpoint=http://url:3&region=r1').region, 'r1');
    process.env.AWS_ENDPOINT_URL_S3 = 'ftp://nope';
    assert.throws(() => parseS3Url('s3://abc'), (e: { code?: string; message: string }) => e.code === 'GEP_ERR_INVALID_INPUT' && /AWS_ENDPOINT_URL_S3/.test(e.message));
  });

  test('bad URLs are GEP_ERR_INVALID_INPUT naming the URL and what is expected', () => {
    const bad: [string, RegExp][] = [
      ['', /expected s3:\/\/BUCKET/],
      ['s3://', /missing bucket/],
      ['s3:///key', /missing bucket/],
      ['http://bucket/key', /expected s3:\/\/BUCKET/],
      ['s3://ab', /3 to 63/],
      [`s3://${'a'.repeat(64)}`, /3 to 63/],
      ['s3://Bucket', /lowercase/],
      ['s3://under_score', /lowercase/],
      ['s3://-abc', /start and end/],
      ['s3://abc-', /start and end/],
      ['s3://a..b', /\.\./],
      ['s3://a.-b', /\.\./],
      ['s3://192.168.1.1', /IP address/],
      ['s3://xn--abc', /reserved/],
      ['s3://abc-s3alias', /reserved/],
      ['s3://bucket:9000/x', /endpoint=/],
      ['s3://abc/a/../b', /'\.\.' segment/],
      ['s3://abc/a//b', /empty segment/],
      ['s3://abc//a', /must not start with '\/'/],
      ['s3://abc/a%00b', /control character/],
      ['s3://abc/a\tb', /control character/],
      ['s3://abc/%E0%A4%A', /percent-encoding/],
      ['s3://abc/x#frag', /fragment/],
      ['s3://abc?endpoint=ftp://x', /http:\/\/ or https:\/\//],
      ['s3://abc?endpoint=not a url', /not a URL/],
      ['s3://abc?endpoint=http://h:1/?x=1', /query or fragment/],
      ['s3://abc?path_style=maybe', /true or false/],
      ['s3://abc?region=a b', /region/],
      ['s3://abc?color=red', /unknown parameter "color"/],
      ['s3://abc?region=a&region=b', /more than once/],
    ];
    for (const [u, re] of bad) {
      assert.throws(() => parseS3Url(u), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', u);
        assert.match(e.message, re, u);
        assert.ok(e.message.includes(JSON.stringify(u)), e.message);
        return true;
      });
    }
  });

  test('credentials in a URL are refused with a message saying where they go', () => {
    for (const u of [
      's3://AKIAXXXX:secret@bucket/x',
      's3://user@bucket',
      's3://abc?access_key=AKIA',
      's3://abc?aws_access_key_id=AKIA',
      's3://abc?secret_key=s',
      's3://abc?X-Amz-Credential=c',
      's3://abc?session_token=t',
      's3://abc?password=p',
      's3://abc?endpoint=http://u:p@host:9000',
    ]) {
      assert.throws(() => parseS3Url(u), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'GEP_ERR_INVALID_INPUT', u);
        assert.match(e.message, /AWS_ACCESS_KEY_ID/, u);
        return true;
      });
    }
  });

  test('object URLs keep the key; formatS3Url round-trips', () => {
    assert.deepEqual(parseS3ObjectUrl('s3://abc/dir/x.tif?endpoint=http://h:1'), {
      bucket: 'abc',
      prefix: '',
      key: 'dir/x.tif',
      endpoint: 'http://h:1',
      region: 'us-east-1',
      forcePathStyle: true,
    });
    for (const u of ['s3://abc', 's3://abc/', 's3://abc/dir/']) assert.throws(() => parseS3ObjectUrl(u), { code: 'GEP_ERR_INVALID_INPUT' }, u);
    const locs: S3Location[] = [
      { bucket: 'abc', prefix: '', region: 'us-east-1', forcePathStyle: false },
      { bucket: 'abc', prefix: 'p/q/', region: 'eu-west-1', forcePathStyle: true },
      { bucket: 'abc', prefix: 'p/', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true },
      { bucket: 'abc', prefix: '', endpoint: 'https://x.org/s3', region: 'r', forcePathStyle: false },
    ];
    for (const loc of locs) {
      assert.deepEqual(parseS3Url(formatS3Url(loc)), loc);
      const key = 'a b/é?#%/x.tif';
      const o = parseS3ObjectUrl(formatS3Url(loc, key));
      assert.equal(o.key, loc.prefix + key);
      assert.equal(o.endpoint, loc.endpoint);
    }
    assert.equal(formatS3Url(locs[0]!, 'k'), 's3://abc/k');
    assert.equal(formatS3Url(locs[2]!, 'k'), 's3://abc/p/k?endpoint=http://127.0.0.1:9');
  });

  test('clients are shared per endpoint, region and addressing style', () => {
    const a = parseS3Url('s3://abc?endpoint=http://h:1');
    assert.equal(s3Client(a), s3Client(parseS3Url('s3://other/p?endpoint=http://h:1')));
    assert.notEqual(s3Client(a), s3Client(parseS3Url('s3://abc?endpoint=http://h:1&region=r2')));
    assert.notEqual(s3Client(a), s3Client(parseS3Url('s3://abc?endpoint=http://h:1&path_style=false')));
  });
});

describe('s3ErrorToGep', () => {
  const loc: S3Location = { bucket: 'abc', prefix: '', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true };
  const sdk = (name: string, status?: number, extra: Record<string, unknown> = {}): Error =>
    Object.assign(new Error(`sdk says ${name} AKIASECRETKEYID`), { name, ...extra, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

  test('maps SDK errors to codes with clear, secret-free messages', () => {
    const cases: [unknown, string, RegExp][] = [
      [sdk('NoSuchKey', 404), 'GEP_ERR_NOT_FOUND', /no such object/],
      [sdk('NotFound', 404), 'GEP_ERR_NOT_FOUND', /no such object/],
      [sdk('Whatever', 404), 'GEP_ERR_NOT_FOUND', /no such object/],
      [sdk('NoSuchBucket', 404), 'GEP_ERR_NOT_FOUND', /bucket "abc" does not exist at http:\/\/127\.0\.0\.1:9/],
      [sdk('AccessDenied', 403), 'GEP_ERR_REMOTE', /access denied .*AWS_ACCESS_KEY_ID/],
      [sdk('InvalidAccessKeyId', 403), 'GEP_ERR_REMOTE', /access denied/],
      [sdk('SignatureDoesNotMatch', 403), 'GEP_ERR_REMOTE', /access denied/],
      [sdk('Forbidden', 403), 'GEP_ERR_REMOTE', /access denied/],
      [sdk('CredentialsProviderError'), 'GEP_ERR_REMOTE', /no S3 credentials/],
      [sdk('Error', undefined, { code: 'ECONNREFUSED' }), 'GEP_ERR_REMOTE', /cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/],
      [sdk('TimeoutError'), 'GEP_ERR_REMOTE', /cannot reach .*TimeoutError/],
      [sdk('AbortError'), 'GEP_ERR_ABORTED', /cancelled/],
      [sdk('InternalError', 500), 'GEP_ERR_REMOTE', /HTTP 500/],
    ];
    for (const [e, code, re] of cases) {
      const g = s3ErrorToGep(e, 's3://abc/k', loc);
      assert.equal(g.code, code, String(e));
      assert.match(g.message, re);
      if (code !== 'GEP_ERR_REMOTE' || !/HTTP 500/.test(g.message)) assert.doesNotMatch(g.message, /AKIA/);
    }
  });
});
