// The reference graphql-ws client (graphql-transport-ws) against `shipgraph dev`.
//
//   node conformance/ws.mjs http://127.0.0.1:8000
//
// 1. A client with the tenant's key in connectionParams is acknowledged, subscribes to
//    shipmentUpdated, and receives every status change of an Envio shipment booked
//    over HTTP and moved along by the simulator's control API.
// 2. Keep-alive: the client's pings are answered with pongs (and server pings, if
//    any, are counted).
// 3. A bad or missing key is refused at connection_init: close code 4403, never an ack.
// Every wait has a deadline; exit status 1 on any failure.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  KEY, WAIT_MS, check, control, createInput, failures, httpUrl, within, wsUrl,
} from './common.mjs';

async function post(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { response, json };
}

// The README's first mutation.
const CREATE = `
mutation Book($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { id trackingNumber status version }
    userErrors { field code message }
  }
}`;

const reference = `CONF-${Date.now()}`;
const CREATE_INPUT = createInput(reference).input;

const SUBSCRIBE = `
subscription Watch {
  shipmentUpdated {
    shipment { id status carrierStatus version }
    previousStatus
    log { status message }
  }
}`;

// --- 1 and 2: a good key, a subscription, keep-alive ------------------------------

async function subscriptionAndKeepAlive() {
  const seen = { connected: 0, pingsSent: 0, pongsReceived: 0, serverPings: 0, closed: [] };
  let pongWaiter = null;
  let connectedResolve;
  const connected = new Promise((resolve) => {
    connectedResolve = resolve;
  });
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${KEY}` },
    lazy: false,
    retryAttempts: 0,
    keepAlive: 500, // ms between the client's pings
    onNonLazyError: (error) => failures.push(`connection error: ${describe(error)}`),
    on: {
      connected: (_socket, payload) => {
        seen.connected += 1;
        connectedResolve(payload);
      },
      ping: (received) => {
        if (received) seen.serverPings += 1;
        else seen.pingsSent += 1;
      },
      pong: (received) => {
        if (received) {
          seen.pongsReceived += 1;
          if (pongWaiter && seen.pongsReceived >= pongWaiter.count) pongWaiter.resolve();
        }
      },
      closed: (event) => seen.closed.push(event?.code),
    },
  });

  try {
    await within(WAIT_MS, 'connection_ack', connected);
    check(seen.connected === 1, 'a client with the key in connectionParams is acknowledged');

    // keep-alive: at least three of the client's pings answered
    await within(WAIT_MS, 'three pongs', new Promise((resolve) => {
      pongWaiter = { count: 3, resolve };
      if (seen.pongsReceived >= 3) resolve();
    }));
    check(
      seen.pongsReceived >= 3,
      `keep-alive: ${seen.pingsSent} pings sent, ${seen.pongsReceived} pongs received`,
    );

    // the subscription, then a booking over HTTP
    const events = [];
    let notify = () => {};
    let streamError = null;
    const unsubscribe = client.subscribe(
      { query: SUBSCRIBE },
      {
        next: (value) => {
          events.push(value);
          notify();
        },
        error: (error) => {
          streamError = error;
          notify();
        },
        complete: () => notify(),
      },
    );
    // graphql-transport-ws has no acknowledgement of a subscribe; give it a moment to
    // reach the gateway's event bus before booking
    await new Promise((resolve) => setTimeout(resolve, 300));

    const { response, json } = await post(
      httpUrl,
      { query: CREATE, variables: { input: CREATE_INPUT } },
      {
        authorization: `Bearer ${KEY}`,
        accept: 'application/graphql-response+json, application/json;q=0.9',
      },
    );
    const payload = json?.data?.createShipment;
    const shipment = payload?.shipment;
    if (!check(
      response.status === 200 && shipment && payload.userErrors.length === 0,
      `createShipment over HTTP: ${response.status} ${shipment?.trackingNumber ?? JSON.stringify(json)}`,
    )) {
      return;
    }
    check(
      (response.headers.get('content-type') || '').startsWith('application/graphql-response+json'),
      `the mutation's answer is ${response.headers.get('content-type')}`,
    );

    const ours = () => events.filter(
      (event) => event.data?.shipmentUpdated?.shipment?.id === shipment.id,
    );
    const waitFor = (predicate, what) => within(WAIT_MS, what, new Promise((resolve, reject) => {
      const test = () => {
        if (streamError) reject(new Error(`subscription error: ${describe(streamError)}`));
        else if (predicate()) resolve();
      };
      notify = test;
      test();
    }));

    await waitFor(() => ours().length >= 1, 'the CREATED event');

    // move the shipment along its happy path through the simulator's control API
    const steps = [];
    for (let i = 0; i < 10; i += 1) {
      const advanced = await post(`${control}/shipments/${shipment.trackingNumber}/advance`);
      if (advanced.response.status !== 200) {
        // `shipgraph dev` also advances on its own every 20 s: it may have got there first
        if (/no next step/.test(advanced.json?.message ?? '')) break;
        failures.push(`advance answered ${advanced.response.status}: ${JSON.stringify(advanced.json)}`);
        break;
      }
      const hooks = advanced.json.webhooks || [];
      steps.push(`${advanced.json.step}${hooks.length ? ` (webhook ${hooks.map((h) => h.status_code).join(',')})` : ''}`);
      if (String(advanced.json.shipment?.status).toLowerCase() === 'delivered') break;
    }
    console.log(`     simulator steps: ${steps.join(', ')}`);

    await waitFor(
      () => ours().some((event) => event.data.shipmentUpdated.shipment.status === 'DELIVERED'),
      'the DELIVERED event',
    ).catch((error) => failures.push(error.message));

    const received = ours().map((event) => event.data.shipmentUpdated);
    for (const event of received) {
      console.log(`     event: ${event.previousStatus ?? '-'} -> ${event.shipment.status} (${event.shipment.carrierStatus}, v${event.shipment.version})`);
    }
    check(events.every((event) => !event.errors), 'no event carries errors');
    check(received[0]?.shipment.status === 'CREATED' && received[0]?.previousStatus === null,
      'the first event is the booking: CREATED, no previous status');
    const changes = received.filter((event) => event.previousStatus !== event.shipment.status);
    let chained = true;
    for (let i = 1; i < changes.length; i += 1) {
      chained &&= changes[i].previousStatus === changes[i - 1].shipment.status;
    }
    check(chained, 'each status change names the status before it');
    const path = changes.map((event) => event.shipment.status);
    const expected = ['CREATED', 'PICKUP_SCHEDULED', 'PICKED_UP', 'DELIVERED'];
    check(
      expected.every((status) => path.includes(status))
        && expected.every((status, i) => i === 0 || path.indexOf(status) > path.indexOf(expected[i - 1])),
      `status changes received in order: ${path.join(' -> ')}`,
    );

    unsubscribe();
  } catch (error) {
    failures.push(error.message);
    console.log(`FAIL ${error.message}`);
  } finally {
    await client.dispose();
  }
  console.log(`     server-initiated pings seen: ${seen.serverPings}`);
}

// --- 3: a bad key is refused at connection_init -----------------------------------

async function refused(connectionParams, label) {
  const outcome = { acked: false, close: null };
  let done;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    on: {
      connected: () => {
        outcome.acked = true;
        done();
      },
      closed: (event) => {
        outcome.close = { code: event?.code, reason: event?.reason?.toString() };
        done();
      },
    },
  });
  try {
    await within(WAIT_MS, `${label}: the server's answer to connection_init`, finished);
  } catch (error) {
    failures.push(error.message);
  } finally {
    await client.dispose();
  }
  check(
    !outcome.acked && outcome.close?.code === 4403,
    `${label}: refused at connection_init (close ${outcome.close?.code} ${outcome.close?.reason ?? ''})`,
  );
}

function describe(error) {
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    return `close ${error.code} ${error.reason}`;
  }
  if (Array.isArray(error)) return JSON.stringify(error);
  return error?.message ?? String(error);
}

const started = Date.now();
await subscriptionAndKeepAlive();
await refused({ Authorization: 'Bearer not-a-key' }, 'a wrong key');
await refused(undefined, 'no connectionParams');
await refused({ authorization: KEY }, 'a key without "Bearer"');

console.log(`\ngraphql-ws: ${failures.length ? `${failures.length} failure(s)` : 'all checks passed'} in ${Date.now() - started} ms`);
for (const failure of failures) console.error(`FAIL: ${failure}`);
process.exit(failures.length ? 1 : 0);
