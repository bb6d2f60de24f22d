// Apollo Client and urql, as frontends configure them, against `shipgraph dev`.
//
//   node conformance/clients.mjs http://127.0.0.1:8000
//
// For each client: a query (Apollo also over GET), its media type
// (application/graphql-response+json, which both ask for first), a validation error and
// a bad key surfacing as GraphQL errors with their extensions.code, a mutation, and
// shipmentUpdated through the client's graphql-ws link. Exit status 1 on any failure.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createHash } from 'node:crypto';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import {
  KEY, WAIT_MS, check, control, createInput, failures, httpUrl, within, wsUrl,
} from './common.mjs';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

// Every exchange the clients make, to check methods, Accept and the answer's type.
const exchanges = [];
async function recordingFetch(input, init = {}) {
  const response = await fetch(input, { ...init, signal: AbortSignal.timeout(WAIT_MS) });
  exchanges.push({
    method: init.method || 'GET',
    accept: new Headers(init.headers).get('accept'),
    status: response.status,
    contentType: response.headers.get('content-type') || '',
  });
  return response;
}
const lastExchange = () => exchanges[exchanges.length - 1];

const CARRIERS = '{ carriers { code enabled } }';
const INVALID = '{ carriers { nope } }';
const CREATE = `
mutation Book($input: CreateShipmentInput!) {
  createShipment(input: $input) {
    shipment { id trackingNumber status }
    userErrors { field code message }
  }
}`;
const WATCH = `
subscription Watch($id: ID) {
  shipmentUpdated(id: $id) { shipment { id status } previousStatus }
}`;

async function advance(trackingNumber) {
  const response = await fetch(`${control}/shipments/${trackingNumber}/advance`, {
    method: 'POST',
    signal: AbortSignal.timeout(WAIT_MS),
  });
  if (response.status !== 200) throw new Error(`advance: ${response.status} ${await response.text()}`);
}

function wsClient(key = KEY) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
}

// Collects a subscription's events; `until(predicate)` waits (with a deadline) for one.
function collector() {
  const events = [];
  let waiting = null;
  let failed = null;
  const settle = () => {
    if (!waiting) return;
    if (failed) waiting.reject(failed);
    else if (events.some(waiting.predicate)) waiting.resolve();
  };
  return {
    events,
    push(event) {
      events.push(event);
      settle();
    },
    fail(error) {
      failed = error instanceof Error ? error : new Error(JSON.stringify(error));
      settle();
    },
    until(predicate, what) {
      return within(WAIT_MS, what, new Promise((resolve, reject) => {
        waiting = { predicate, resolve, reject };
        settle();
      }));
    },
  };
}

function bookedShipment(data, error) {
  const payload = data?.createShipment;
  if (error || !payload?.shipment || payload.userErrors?.length) {
    throw new Error(`createShipment: ${error?.message ?? JSON.stringify(payload?.userErrors)}`);
  }
  return payload.shipment;
}

const codesOf = (errors) => (errors || []).map((error) => error.extensions?.code);

// Books a shipment with `book`, then expects its CREATED and PICKUP_SCHEDULED events
// through a subscription the client has already opened (its events in `seen`).
async function bookAndWatch(name, book, seen) {
  await new Promise((resolve) => setTimeout(resolve, 300)); // the subscribe reaches the bus
  const shipment = await book(`CONF-${name}-${Date.now()}`);
  if (!check(Boolean(shipment?.id), `${name}: createShipment booked ${shipment?.trackingNumber}`)) return;
  const ours = (status) => (event) => event.shipment.id === shipment.id && event.shipment.status === status;
  await seen.until(ours('CREATED'), `${name}: the CREATED event`);
  await advance(shipment.trackingNumber);
  await seen.until(ours('PICKUP_SCHEDULED'), `${name}: the PICKUP_SCHEDULED event`);
  check(true, `${name}: shipmentUpdated over its graphql-ws link: CREATED, then PICKUP_SCHEDULED`);
}

// --- Apollo Client -----------------------------------------------------------------

async function apollo() {
  const ws = wsClient();
  const http = new HttpLink({
    uri: httpUrl,
    fetch: recordingFetch,
    headers: { Authorization: `Bearer ${KEY}` },
  });
  // the usual set-up: subscriptions over the WebSocket, the rest over HTTP
  const link = ApolloLink.split(
    ({ query }) => query.definitions.some(
      (d) => d.kind === 'OperationDefinition' && d.operation === 'subscription',
    ),
    new GraphQLWsLink(ws),
    http,
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const options = { errorPolicy: 'all', fetchPolicy: 'no-cache' };
  try {
    const ok = await client.query({ query: gql(CARRIERS), ...options });
    check(ok.data?.carriers?.length > 0 && !ok.error, 'Apollo: a query over POST answers data');
    const sent = lastExchange();
    check(
      sent.method === 'POST' && sent.contentType.startsWith(GRAPHQL_RESPONSE),
      `Apollo: Accept "${sent.accept}" is answered ${sent.contentType}`,
    );

    const getLink = new HttpLink({
      uri: httpUrl,
      fetch: recordingFetch,
      useGETForQueries: true,
      headers: { Authorization: `Bearer ${KEY}` },
    });
    const overGet = new ApolloClient({ link: getLink, cache: new InMemoryCache() });
    const viaGet = await overGet.query({ query: gql(CARRIERS), ...options });
    check(
      viaGet.data?.carriers?.length > 0 && lastExchange().method === 'GET',
      'Apollo: useGETForQueries: a query over GET answers data',
    );

    // Automatic persisted queries, as mobile apps use them: the first time the hash
    // alone is not known, the link sends hash and query; a second client on a fresh
    // cache then gets its answer from the hash alone, over GET.
    const sha256 = (text) => createHash('sha256').update(text).digest('hex');
    const persisted = () => new ApolloClient({
      link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(getLink),
      cache: new InMemoryCache(),
    });
    const PERSISTED = `{ carriers { code name } }`;
    const before = exchanges.length;
    const first = await persisted().query({ query: gql(PERSISTED), ...options });
    const firstSent = exchanges.slice(before);
    check(
      first.data?.carriers?.length > 0 && firstSent.length === 2,
      `Apollo: persisted query: an unknown hash, then hash and query (${firstSent.map((e) => `${e.method} ${e.status}`).join(', ')})`,
    );
    const again = exchanges.length;
    const second = await persisted().query({ query: gql(PERSISTED), ...options });
    const secondSent = exchanges.slice(again);
    check(
      second.data?.carriers?.length > 0 && secondSent.length === 1 && secondSent[0].method === 'GET',
      `Apollo: persisted query: the hash alone answers (${secondSent.map((e) => `${e.method} ${e.status}`).join(', ')})`,
    );

    const invalid = await client.query({ query: gql(INVALID), ...options });
    check(
      codesOf(invalid.error?.errors).includes('GRAPHQL_VALIDATION_FAILED') && lastExchange().status === 400,
      `Apollo: a validation error (HTTP ${lastExchange().status}) is a GraphQL error: ${invalid.error?.constructor?.name} ${codesOf(invalid.error?.errors)}`,
    );

    const stranger = new ApolloClient({
      link: new HttpLink({ uri: httpUrl, fetch: recordingFetch, headers: { Authorization: 'Bearer nope' } }),
      cache: new InMemoryCache(),
    });
    const refused = await stranger.query({ query: gql(CARRIERS), ...options });
    check(
      codesOf(refused.error?.errors).includes('UNAUTHENTICATED') && lastExchange().status === 401,
      `Apollo: a bad key (HTTP ${lastExchange().status}) is an UNAUTHENTICATED GraphQL error`,
    );

    const seen = collector();
    const subscription = client.subscribe({ query: gql(WATCH) }).subscribe({
      next: (result) => (result.error ? seen.fail(result.error) : seen.push(result.data.shipmentUpdated)),
      error: (error) => seen.fail(error),
    });
    try {
      await bookAndWatch('Apollo', async (reference) => {
        const booked = await client.mutate({ mutation: gql(CREATE), variables: createInput(reference) });
        return bookedShipment(booked.data, booked.error);
      }, seen);
    } finally {
      subscription.unsubscribe();
    }
  } catch (error) {
    failures.push(`Apollo: ${error.message}`);
    console.log(`FAIL Apollo: ${error.message}`);
  } finally {
    client.stop();
    await ws.dispose();
  }
}

// --- urql --------------------------------------------------------------------------

async function urql() {
  const ws = wsClient();
  const client = new Client({
    url: httpUrl,
    fetch: recordingFetch,
    fetchOptions: { headers: { Authorization: `Bearer ${KEY}` } },
    requestPolicy: 'network-only',
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });
  try {
    const ok = await client.query(CARRIERS, {}).toPromise();
    check(ok.data?.carriers?.length > 0 && !ok.error, 'urql: a query answers data');
    const sent = lastExchange();
    check(
      sent.contentType.startsWith(GRAPHQL_RESPONSE),
      `urql: Accept "${sent.accept}" is answered ${sent.contentType}`,
    );

    const invalid = await client.query(INVALID, {}).toPromise();
    check(
      codesOf(invalid.error?.graphQLErrors).includes('GRAPHQL_VALIDATION_FAILED')
        && !invalid.error?.networkError && lastExchange().status === 400,
      `urql: a validation error (HTTP ${lastExchange().status}) is a GraphQL error: ${codesOf(invalid.error?.graphQLErrors)}`,
    );

    const stranger = new Client({
      url: httpUrl,
      fetch: recordingFetch,
      fetchOptions: { headers: { Authorization: 'Bearer nope' } },
      exchanges: [fetchExchange],
    });
    const refused = await stranger.query(CARRIERS, {}).toPromise();
    check(
      codesOf(refused.error?.graphQLErrors).includes('UNAUTHENTICATED') && lastExchange().status === 401,
      `urql: a bad key (HTTP ${lastExchange().status}) is an UNAUTHENTICATED GraphQL error`,
    );

    const seen = collector();
    const subscription = client.subscription(WATCH, {}).subscribe((result) => (
      result.error ? seen.fail(result.error) : seen.push(result.data.shipmentUpdated)
    ));
    try {
      await bookAndWatch('urql', async (reference) => {
        const booked = await client.mutation(CREATE, createInput(reference)).toPromise();
        return bookedShipment(booked.data, booked.error);
      }, seen);
    } finally {
      subscription.unsubscribe();
    }
  } catch (error) {
    failures.push(`urql: ${error.message}`);
    console.log(`FAIL urql: ${error.message}`);
  } finally {
    await ws.dispose();
  }
}

const started = Date.now();
await apollo();
await urql();
console.log(`\nApollo Client and urql: ${failures.length ? `${failures.length} failure(s)` : 'all checks passed'} in ${Date.now() - started} ms`);
for (const failure of failures) console.error(`FAIL: ${failure}`);
process.exit(failures.length ? 1 : 0);
