/** The part of autocannon's programmatic API the harness uses (the package ships no types). */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  /** What setupRequest receives and returns. */
  interface RequestParams {
    method?: string;
    path?: string;
    headers: Record<string, string>;
    body?: string;
  }

  /** One entry of `requests`: sent in turn by every connection, on top of the top-level options. */
  interface RequestSpec {
    /** Rebuilds the request before each send. */
    setupRequest?: (request: RequestParams) => RequestParams;
    /** Called with each answer's status and body. */
    onResponse?: (status: number, body: string) => void;
  }

  interface Options {
    url: string;
    requests?: RequestSpec[];
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
    /** Requests per second over all connections (each connection sends its share, second by second). */
    overallRate?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
    /** Counts a response as a mismatch when it returns false. */
    verifyBody?: (body: string) => boolean;
  }

  interface Result {
    /** Seconds the run lasted. */
    duration: number;
    latency: Histogram;
    requests: Histogram;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    '2xx': number;
  }

  function autocannon(options: Options): Promise<Result>;
  export = autocannon;
}
