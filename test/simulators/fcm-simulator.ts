import { randomBytes, verify, type KeyObject } from 'node:crypto';
import type http2 from 'node:http2';
import { AnswerBook, Counters, decodeJwt, dropConnection, handleStaging, listenSimulator, readBody, type SimServer } from './sim-server';

/**
 * An FCM HTTP v1 simulator over TLS: the OAuth 2.0 token endpoint that firebase-admin's
 * service-account credential calls (RFC 7523 JWT-bearer grant, HTTP/1.1), and
 * POST /v1/projects/{id}/messages:send (HTTP/2, like Google, advertising 100 streams), which
 * checks the bearer token and answers errors in FCM's JSON format with FcmError details.
 */
export type FcmErrorCode =
  | 'UNREGISTERED'
  | 'INVALID_ARGUMENT'
  | 'SENDER_ID_MISMATCH'
  | 'QUOTA_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'THIRD_PARTY_AUTH_ERROR'
  | 'UNSPECIFIED_ERROR';

export type FcmAnswer =
  | { ok: true }
  | { errorCode: FcmErrorCode; message?: string; retryAfterSeconds?: number }
  | { drop: true }
  | { delayMs: number; then: FcmAnswer };

/** HTTP status and google.rpc status of each FCM error code (FCM HTTP v1 ErrorCode reference). */
export const FCM_ERRORS: Record<FcmErrorCode, { http: number; status: string; message: string }> = {
  UNREGISTERED: { http: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.' },
  INVALID_ARGUMENT: { http: 400, status: 'INVALID_ARGUMENT', message: 'The registration token is not a valid FCM registration token' },
  SENDER_ID_MISMATCH: { http: 403, status: 'PERMISSION_DENIED', message: 'SenderId mismatch' },
  QUOTA_EXCEEDED: { http: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded.' },
  UNAVAILABLE: { http: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
  INTERNAL: { http: 500, status: 'INTERNAL', message: 'Internal error encountered.' },
  THIRD_PARTY_AUTH_ERROR: { http: 401, status: 'UNAUTHENTICATED', message: 'Auth error from APNS or Web Push Service' },
  UNSPECIFIED_ERROR: { http: 500, status: 'UNKNOWN', message: 'Unknown error.' },
};

/** A Firebase project and its service account. */
export type FcmSimProject = { projectId: string; clientEmail: string; publicKey: KeyObject };

export type FcmSimulatorOptions = {
  projectId: string;
  clientEmail: string;
  /** The public half of the service account's private key. */
  publicKey: KeyObject;
  /** More projects, for several Firebase apps on one instance. */
  projects?: FcmSimProject[];
  port?: number;
  /** Google advertises 100. */
  maxConcurrentStreams?: number;
};

const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export type FcmMessageRecord = { token: string; message: Record<string, unknown>; httpVersion: string; project: string };

export class FcmSimulator {
  readonly answers = new AnswerBook<FcmAnswer>({ ok: true });
  readonly counters = new Counters();
  readonly received: FcmMessageRecord[] = [];
  /** Access tokens issued by the OAuth exchange, and the project each was issued for. */
  readonly issuedTokens = new Map<string, string>();
  /** Tokens staged as belonging to one project: sent through another, they answer SENDER_ID_MISMATCH. */
  private readonly tokenProjects = new Map<string, string>();
  private readonly projects: FcmSimProject[];
  oauthExchanges = 0;
  private server!: SimServer;
  private messageCounter = 0;

  private constructor(private readonly options: FcmSimulatorOptions) {
    this.projects = [{ projectId: options.projectId, clientEmail: options.clientEmail, publicKey: options.publicKey }, ...(options.projects ?? [])];
  }

  learnProject(project: FcmSimProject): void {
    this.projects.push(project);
  }

  /** This registration token was issued by `projectId`'s app. */
  belongsTo(token: string, projectId: string): void {
    this.tokenProjects.set(token, projectId);
  }

  static async start(options: FcmSimulatorOptions): Promise<FcmSimulator> {
    const simulator = new FcmSimulator(options);
    simulator.server = await listenSimulator((req, res) => simulator.handle(req, res), { port: options.port, maxConcurrentStreams: options.maxConcurrentStreams, counters: simulator.counters });
    return simulator;
  }

  get url(): string {
    return this.server.url;
  }

  stage(token: string, answer: FcmAnswer | FcmAnswer[]): void {
    this.answers.set(token, answer);
  }

  attempts(token: string): number {
    return this.counters.attempts(token);
  }

  reset(): void {
    this.answers.clear();
    this.counters.reset();
    this.received.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    if (await handleStaging(req, res, this.answers, this.counters)) return;
    if (req.method === 'POST' && req.url === '/token') return this.exchangeToken(req, res);
    const project = SEND_PATH.exec(req.url)?.[1];
    if (req.method !== 'POST' || !project) return json(res, 404, googleError(404, 'NOT_FOUND', 'Not found'));
    const body = await readBody(req);
    let message: Record<string, unknown> | undefined;
    try {
      message = (JSON.parse(body) as { message?: Record<string, unknown> }).message;
    } catch {
      message = undefined;
    }
    const token = typeof message?.token === 'string' ? message.token : undefined;
    const done = this.counters.begin(token);
    res.on('close', done);

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.issuedTokens.has(bearer)) {
      return json(res, 401, googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
    }
    if (project !== this.issuedTokens.get(bearer)) return json(res, 403, googleError(403, 'PERMISSION_DENIED', 'Permission denied on project'));
    if (!message || !token) return json(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', 'INVALID_ARGUMENT'));
    this.received.push({ token, message, httpVersion: req.httpVersion, project });
    const owner = this.tokenProjects.get(token);
    if (owner !== undefined && owner !== project) {
      const error = FCM_ERRORS.SENDER_ID_MISMATCH;
      return json(res, error.http, googleError(error.http, error.status, error.message, 'SENDER_ID_MISMATCH'));
    }

    let answer = this.answers.next(token);
    while ('delayMs' in answer) {
      const { delayMs, then } = answer;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      answer = then;
    }
    if ('drop' in answer) return dropConnection(req);
    if ('ok' in answer) return json(res, 200, { name: `projects/${project}/messages/${++this.messageCounter}` });
    const error = FCM_ERRORS[answer.errorCode];
    const headers: Record<string, string> = answer.retryAfterSeconds !== undefined ? { 'retry-after': String(answer.retryAfterSeconds) } : {};
    json(res, error.http, googleError(error.http, error.status, answer.message ?? error.message, answer.errorCode), headers);
  }

  /** RFC 7523: a JWT signed with the service account's key, exchanged for an access token. */
  private async exchangeToken(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const jwt = decodeJwt(form.get('assertion') ?? '');
    const account = jwt ? this.projects.find((p) => p.clientEmail === jwt.payload.iss) : undefined;
    const valid =
      form.get('grant_type') === JWT_BEARER &&
      jwt !== undefined &&
      account !== undefined &&
      jwt.header.alg === 'RS256' &&
      jwt.payload.aud === TOKEN_AUDIENCE &&
      String(jwt.payload.scope ?? '').includes('firebase.messaging') &&
      verify('RSA-SHA256', Buffer.from(jwt.signed), account.publicKey, jwt.signature);
    if (!valid) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    this.oauthExchanges++;
    const accessToken = `ya29.sim-${randomBytes(16).toString('hex')}`;
    this.issuedTokens.set(accessToken, account!.projectId);
    json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }
}

function googleError(code: number, status: string, message: string, errorCode?: string) {
  return {
    error: {
      code,
      message,
      status,
      ...(errorCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] } : {}),
    },
  };
}

function json(res: http2.Http2ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}
