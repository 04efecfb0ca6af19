// Trading page: live order book, recent trades and candles from the public API; order preview.
(function () {
  "use strict";
  const root = document.getElementById("exchange-trade");
  if (!root) return;
  const api = root.dataset.api;
  const baseDecimals = Number(root.dataset.baseDecimals);
  const quoteDecimals = Number(root.dataset.quoteDecimals);
  const takerBps = BigInt(root.dataset.takerBps || "0");

  function format(units, decimals) {
    const negative = units.startsWith("-");
    let digits = negative ? units.slice(1) : units;
    digits = digits.padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals) || "0";
    let fraction = decimals ? digits.slice(digits.length - decimals).replace(/0+$/, "") : "";
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + grouped + (fraction ? "." + fraction : "");
  }

  function toUnits(text, decimals) {
    const clean = (text || "").trim().replace(/,/g, "");
    if (!/^\d*(\.\d*)?$/.test(clean) || clean === "" || clean === ".") return null;
    const [whole, fraction = ""] = clean.split(".");
    if (fraction.length > decimals) return null;
    return BigInt((whole || "0") + fraction.padEnd(decimals, "0"));
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }

  function fill(id, rows) {
    const body = document.getElementById(id);
    body.replaceChildren(...rows);
  }

  let chart = null;
  let series = null;
  function ensureChart() {
    if (chart || !window.LightweightCharts) return;
    const element = document.getElementById("exchange-chart");
    chart = window.LightweightCharts.createChart(element, {
      height: 320,
      layout: { attributionLogo: false },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    series = chart.addCandlestickSeries();
  }

  async function refresh() {
    try {
      const [book, trades, candles] = await Promise.all([
        fetch(api + "book/?depth=10").then((r) => r.json()),
        fetch(api + "trades/").then((r) => r.json()),
        fetch(api + "candles/?interval=1m").then((r) => r.json()),
      ]);
      fill("exchange-asks", book.asks.slice().reverse().map(([p, q]) =>
        row([format(p, quoteDecimals), format(q, baseDecimals)])));
      fill("exchange-bids", book.bids.map(([p, q]) =>
        row([format(p, quoteDecimals), format(q, baseDecimals)])));
      fill("exchange-trades", trades.slice(0, 20).map((t) =>
        row([format(t.price, quoteDecimals), format(t.quantity, baseDecimals),
             new Date(t.created_at).toLocaleTimeString()])));
      if (trades.length) {
        document.getElementById("exchange-last").textContent = format(trades[0].price, quoteDecimals);
      }
      ensureChart();
      if (series) {
        const scale = 10 ** quoteDecimals;
        series.setData(candles.map(([t, o, h, l, c]) => ({
          time: t, open: Number(o) / scale, high: Number(h) / scale, low: Number(l) / scale,
          close: Number(c) / scale,
        })));
      }
      document.getElementById("exchange-candle-count").textContent = String(candles.length);
      root.dataset.refreshed = String(Date.now());
    } catch (error) {
      // The next refresh tries again; the page keeps what it showed.
    }
  }

  function preview() {
    const form = document.getElementById("exchange-order-form");
    if (!form) return;
    const price = toUnits(form.elements.price.value, quoteDecimals);
    const quantity = toUnits(form.elements.quantity.value, baseDecimals);
    const spend = toUnits(form.elements.quote_amount.value, quoteDecimals);
    let total = null;
    if (price !== null && quantity !== null) total = (price * quantity) / 10n ** BigInt(baseDecimals);
    else if (spend !== null) total = spend;
    document.getElementById("exchange-total").textContent =
      total === null ? "—" : format(total.toString(), quoteDecimals);
    document.getElementById("exchange-fee").textContent =
      total === null ? "—" : format(((total * takerBps) / 10000n).toString(), quoteDecimals) +
        " (" + (Number(takerBps) / 100).toFixed(2) + " %)";
  }

  const form = document.getElementById("exchange-order-form");
  if (form) form.addEventListener("input", preview);
  preview();
  refresh();
  setInterval(refresh, 2000);
})();
