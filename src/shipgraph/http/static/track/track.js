// The /track page: look a shipment up over POST /graphql, then follow it over a
// WebSocket speaking graphql-transport-ws. Server text only ever goes in through
// textContent or setAttribute, never as markup.
"use strict";

(() => {
  const SHIPMENT = `fragment Tracked on Shipment {
    id reference carrier trackingNumber status carrierStatus version
    origin { coordinates { latitude longitude } }
    destination { coordinates { latitude longitude } }
    courier { name vehicle location { latitude longitude } }
    trackingLogs { status carrierStatus message occurredAt }
  }`;
  const FIND = `query TrackFind($id: ID!, $number: String!) {
    shipment(id: $id) { ...Tracked }
    shipments(first: 1, filter: { trackingNumber: $number }) { edges { node { ...Tracked } } }
  } ${SHIPMENT}`;
  const GET = `query TrackGet($id: ID!) { shipment(id: $id) { ...Tracked } } ${SHIPMENT}`;
  const UPDATES = `subscription TrackUpdates($id: ID!) {
    shipmentUpdated(id: $id) { shipment { ...Tracked } }
  } ${SHIPMENT}`;
  const COURIER = `subscription TrackCourier($id: ID!) {
    courierLocation(id: $id) { name vehicle location { latitude longitude } }
  }`;
  const PROTOCOL = "graphql-transport-ws";
  // Closed by the server for a bad key or a broken handshake: reconnecting cannot help.
  const FINAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4409]);
  const CATCH_UP_MS = 300;
  const MAX_RETRY_MS = 15000;

  const $ = (id) => document.getElementById(id);
  const endpoint = document.querySelector('meta[name="shipgraph-graphql"]').content || "/graphql";
  const socketUrl = new URL(endpoint, location.href);
  socketUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";

  function showError(message) {
    $("error").textContent = message;
  }

  function setLive(state, text) {
    const live = $("live");
    live.dataset.state = state;
    live.textContent = text;
  }

  function problem(errors) {
    return errors.map((error) => error.message).join("; ");
  }

  async function graphql(key, query, variables) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json",
        Authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    let body;
    try {
      body = await response.json();
    } catch (error) {
      throw new Error(`The gateway answered ${response.status} without JSON.`);
    }
    if (response.status === 401) throw new Error("The API key was refused.");
    if (body.errors && body.errors.length) throw new Error(problem(body.errors));
    if (!response.ok || !body.data) throw new Error(`The gateway answered ${response.status}.`);
    return body.data;
  }

  // -- rendering -----------------------------------------------------------------------

  function formatTime(iso) {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? iso : when.toLocaleString();
  }

  function timelineEntry(log) {
    const item = document.createElement("li");
    item.className = "entry";
    const time = document.createElement("time");
    time.setAttribute("datetime", log.occurredAt);
    time.textContent = formatTime(log.occurredAt);
    const status = document.createElement("span");
    status.className = "entry-status";
    status.textContent = log.status;
    item.append(time, status);
    if (log.carrierStatus) {
      const carrierStatus = document.createElement("span");
      carrierStatus.className = "entry-carrier-status";
      carrierStatus.textContent = ` (${log.carrierStatus})`;
      item.append(carrierStatus);
    }
    if (log.message) {
      const message = document.createElement("div");
      message.className = "entry-message";
      message.textContent = log.message;
      item.append(message);
    }
    return item;
  }

  function renderShipment(shipment) {
    $("reference").textContent = shipment.reference;
    $("carrier").textContent = shipment.carrier;
    $("tracking-number").textContent = shipment.trackingNumber || "none yet";
    $("shipment-id").textContent = shipment.id;
    const status = $("status");
    status.textContent = shipment.status;
    status.dataset.status = shipment.status;
    $("carrier-status").textContent = shipment.carrierStatus ? `(${shipment.carrierStatus})` : "";
    $("timeline").replaceChildren(...shipment.trackingLogs.map(timelineEntry));
    $("shipment").hidden = false;
  }

  // -- the courier, projected into the box between pickup and drop-off -------------------

  const W = 100;
  const H = 60;
  const PAD = 8;

  function asPoint(geo) {
    return geo ? { lat: geo.latitude, lng: geo.longitude } : null;
  }

  class CourierMap {
    constructor(shipment) {
      this.pickup = asPoint(shipment.origin.coordinates);
      this.dropoff = asPoint(shipment.destination.coordinates);
      this.seen = [];
      this.courier = null;
      $("courier").hidden = false;
      $("courier-text").textContent = "No courier position yet.";
      for (const id of ["route", "pickup", "dropoff", "courier-marker"]) {
        $(id).setAttribute("visibility", "hidden");
      }
      if (shipment.courier) this.move(shipment.courier);
      else this.draw();
    }

    move(courier) {
      const at = asPoint(courier.location);
      if (!at) return;
      this.courier = at;
      this.seen.push(at);
      const who = [courier.name, courier.vehicle && `(${courier.vehicle})`].filter(Boolean);
      const where = `${at.lat.toFixed(5)}, ${at.lng.toFixed(5)}`;
      $("courier-text").textContent = `${who.join(" ") || "The courier"} is at ${where}.`;
      this.draw();
    }

    draw() {
      const points = [this.pickup, this.dropoff, ...this.seen].filter(Boolean);
      if (!points.length) return;
      const lats = points.map((p) => p.lat);
      const lngs = points.map((p) => p.lng);
      const south = Math.min(...lats);
      const north = Math.max(...lats);
      const west = Math.min(...lngs);
      const east = Math.max(...lngs);
      // one scale for both axes, so the picture keeps its shape
      const span = Math.max(north - south, east - west, 0.002);
      const scale = Math.min((W - 2 * PAD) / span, (H - 2 * PAD) / span);
      const midLat = (north + south) / 2;
      const midLng = (east + west) / 2;
      const project = (p) => ({
        x: W / 2 + (p.lng - midLng) * scale,
        y: H / 2 - (p.lat - midLat) * scale,
      });
      const place = (id, point) => {
        if (!point) return;
        const { x, y } = project(point);
        const node = $(id);
        node.setAttribute("cx", x.toFixed(2));
        node.setAttribute("cy", y.toFixed(2));
        node.setAttribute("visibility", "visible");
      };
      place("pickup", this.pickup);
      place("dropoff", this.dropoff);
      place("courier-marker", this.courier);
      if (this.pickup && this.dropoff) {
        const a = project(this.pickup);
        const b = project(this.dropoff);
        const route = $("route");
        route.setAttribute("x1", a.x.toFixed(2));
        route.setAttribute("y1", a.y.toFixed(2));
        route.setAttribute("x2", b.x.toFixed(2));
        route.setAttribute("y2", b.y.toFixed(2));
        route.setAttribute("visibility", "visible");
      }
    }
  }

  // -- following one shipment over graphql-transport-ws --------------------------------

  class Tracker {
    constructor(shipment, key) {
      this.id = shipment.id;
      this.key = key;
      this.version = -1;
      this.retries = 0;
      this.stopped = false;
      this.failed = false;
      this.map = shipment.carrier === "BORZO" ? new CourierMap(shipment) : null;
      $("courier").hidden = this.map === null;
      this.show(shipment);
      this.connect();
    }

    show(shipment) {
      if (shipment.version < this.version) return; // an older answer than the one shown
      this.version = shipment.version;
      renderShipment(shipment);
    }

    connect() {
      setLive("connecting", "Connecting…");
      const socket = new WebSocket(socketUrl, PROTOCOL);
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.send({ type: "connection_init", payload: { Authorization: `Bearer ${this.key}` } });
      });
      socket.addEventListener("message", (event) => {
        if (socket === this.socket && !this.stopped) this.receive(JSON.parse(event.data));
      });
      socket.addEventListener("close", (event) => {
        if (socket === this.socket) this.closed(event);
      });
    }

    send(message) {
      this.socket.send(JSON.stringify(message));
    }

    subscribe(id, query) {
      this.send({ id, type: "subscribe", payload: { query, variables: { id: this.id } } });
    }

    receive(message) {
      switch (message.type) {
        case "connection_ack":
          this.retries = 0;
          this.failed = false;
          this.subscribe("updates", UPDATES);
          if (this.map) this.subscribe("courier", COURIER);
          this.catchUp();
          break;
        case "ping":
          this.send({ type: "pong" });
          break;
        case "next":
          this.next(message.id, message.payload);
          break;
        case "error":
          if (message.id === "courier") {
            $("courier-text").textContent = `No courier position: ${problem(message.payload)}`;
          } else {
            this.failed = true;
            showError(`Live updates stopped: ${problem(message.payload)}`);
            setLive("offline", "Not live.");
          }
          break;
        case "complete":
          if (message.id === "courier" && this.map) {
            $("courier-text").textContent += " The courier is no longer followed.";
          }
          break;
        default:
          break;
      }
    }

    next(id, payload) {
      if (payload.errors && payload.errors.length) {
        showError(problem(payload.errors));
        return;
      }
      if (id === "updates") this.show(payload.data.shipmentUpdated.shipment);
      else if (id === "courier" && this.map) this.map.move(payload.data.courierLocation);
    }

    // A change between the first read and the subscription would be missed: read once more.
    async catchUp() {
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_MS));
      if (this.stopped) return;
      try {
        const data = await graphql(this.key, GET, { id: this.id });
        if (data.shipment) this.show(data.shipment);
        if (!this.stopped && !this.failed && this.socket.readyState === WebSocket.OPEN) {
          setLive("live", "Live: changes appear as they happen.");
        }
      } catch (error) {
        showError(error.message);
      }
    }

    closed(event) {
      if (this.stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        setLive("offline", "Not live.");
        showError(`The live connection was refused: ${event.reason || event.code}.`);
        return;
      }
      const wait = Math.min(1000 * 2 ** this.retries, MAX_RETRY_MS);
      this.retries += 1;
      setLive("offline", `Connection lost; trying again in ${Math.round(wait / 1000)} s.`);
      this.timer = setTimeout(() => this.connect(), wait);
    }

    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.socket) this.socket.close(1000);
    }
  }

  // -- the form ----------------------------------------------------------------------

  let tracker = null;
  let lookups = 0; // only the latest lookup's answer is shown

  async function lookup(wanted, key) {
    const mine = ++lookups;
    if (tracker) tracker.stop();
    tracker = null;
    showError("");
    if (!wanted) {
      showError("Enter a shipment id or a tracking number.");
      return;
    }
    if (!key) {
      showError("Enter your API key.");
      return;
    }
    let shipment;
    let failure = null;
    try {
      const data = await graphql(key, FIND, { id: wanted, number: wanted });
      const edge = data.shipments.edges[0];
      shipment = data.shipment || (edge && edge.node);
    } catch (error) {
      failure = error;
    }
    if (mine !== lookups) return;
    if (failure) {
      $("shipment").hidden = true;
      showError(failure.message);
      return;
    }
    if (!shipment) {
      $("shipment").hidden = true;
      showError(`No shipment has the id or tracking number ${wanted}.`);
      return;
    }
    const url = new URL(location.href);
    url.searchParams.set("id", shipment.id);
    history.replaceState(null, "", url);
    tracker = new Tracker(shipment, key);
  }

  $("lookup").addEventListener("submit", (event) => {
    event.preventDefault();
    lookup($("query").value.trim(), $("api-key").value.trim());
  });

  const fromUrl = new URL(location.href).searchParams.get("id");
  if (fromUrl) {
    $("query").value = fromUrl;
    lookup(fromUrl, $("api-key").value.trim());
  }
})();
