// What the conformance scripts share: the gateway's addresses, the check log and
// timeouts, and the booking they make.
import { basename } from 'node:path';

export const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base) {
  console.error(`usage: node ${basename(process.argv[1])} <gateway base url, e.g. http://127.0.0.1:8000>`);
  process.exit(2);
}
export const KEY = process.env.SHIPGRAPH_CONFORMANCE_KEY || 'demo-key';
export const httpUrl = `${base}/graphql`;
export const wsUrl = httpUrl.replace(/^http/, 'ws');
export const control = `${base}/sandbox/envio/_control`;
export const WAIT_MS = 10_000;

export const failures = [];
export const check = (ok, message) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
  return ok;
};

export function within(ms, what, promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// An ISO 8601 time `days` days from now: a written date would pass by and be refused.
const daysFromNow = (days) => new Date(Date.now() + days * 86_400_000).toISOString();

// The README's first mutation's input, with a reference of its own.
export function createInput(reference) {
  return {
    input: {
      carrier: 'ENVIO',
      idempotencyKey: reference,
      shipment: {
        reference,
        origin: {
          name: 'Budi Santoso', company: 'Gudang Kosambi', phone: '628767438745',
          line1: 'Jl. Raya Perancis No. 17', district: 'Kosambi',
          city: 'Kabupaten Tangerang', province: 'Banten', countryCode: 'ID',
        },
        destination: {
          name: 'Sapta Apriyana', phone: '6285156701828',
          line1: 'Jl. Pengadegan Utara No. 1', district: 'Pancoran',
          city: 'Jakarta Selatan', province: 'DKI Jakarta', countryCode: 'ID',
        },
        parcels: [{
          weightKg: 1.2, lengthCm: 10, widthCm: 30, heightCm: 20,
          items: [{ sku: '2192x127y', name: 'Air Mineral 300 ML', quantity: 1 }],
        }],
        cashOnDelivery: { amount: '23000', currency: 'IDR' },
        pickupAt: daysFromNow(1),
        deliverBy: daysFromNow(2),
      },
    },
  };
}
