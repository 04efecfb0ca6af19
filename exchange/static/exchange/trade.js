// Trading page: live order book, recent trades and candles from the public API; the order
// form's fields per order type and its preview (limit: total and fee; market: an estimate
// from the book shown, order_estimate.js). The server validates and matches every order.
(function () {
  "use strict";
  const root = document.getElementById("exchange-trade");
  if (!root || !window.BusanExchange) return;
  const { formatUnits, parseUnits, estimateMarketOrder, formatPrice, formatSeoulTime } =
    window.BusanExchange;
  const api = root.dataset.api;
  const baseDecimals = Number(root.dataset.baseDecimals);
  const quoteDecimals = Number(root.dataset.quoteDecimals);
  const quote = root.dataset.quote;
  const scale = BigInt(root.dataset.scale);
  const lot = BigInt(root.dataset.lot || "1");
  const takerBps = BigInt(root.dataset.takerBps || "0");
  const locale = document.documentElement.lang || "ko";
  const BOOK_DEPTH = 10;
  let book = { asks: [], bids: [] }; // the levels shown, best first

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
    document.getElementById(id).replaceChildren(...rows);
  }

  function setText(id, text) {
    const element = document.getElementById(id);
    if (element) element.textContent = text;
  }

  let chart = null;
  let series = null;
  function ensureChart() {
    if (chart || !window.LightweightCharts) return;
    const element = document.getElementById("exchange-chart");
    const seoul = (time, options) => formatSeoulTime(new Date(Number(time) * 1000), options);
    chart = window.LightweightCharts.createChart(element, {
      autoSize: true,
      layout: { attributionLogo: false },
      localization: {
        locale: locale,
        priceFormatter: (price) => formatPrice(price, { locale, decimals: quoteDecimals, quote }),
        timeFormatter: (time) => seoul(time, { withDate: true, withSeconds: false }) + " KST",
      },
      timeScale: {
        timeVisible: true,
        secondsVisible: false,
        // Ticks in Seoul time: the chart itself knows only UTC.
        tickMarkFormatter: (time, type) =>
          type < 3 ? seoul(time, { withDate: true }).slice(5, 10) : seoul(time, { withSeconds: false }),
      },
      rightPriceScale: { borderVisible: false },
    });
    series = chart.addCandlestickSeries({
      priceFormat: { type: "price", precision: quoteDecimals, minMove: 1 / 10 ** quoteDecimals },
    });
  }

  async function refresh() {
    try {
      const [depth, trades, candles] = await Promise.all([
        fetch(api + "book/?depth=" + BOOK_DEPTH).then((r) => r.json()),
        fetch(api + "trades/").then((r) => r.json()),
        fetch(api + "candles/?interval=1m").then((r) => r.json()),
      ]);
      book = depth;
      fill("exchange-asks", depth.asks.slice().reverse().map(([p, q]) =>
        row([formatUnits(p, quoteDecimals), formatUnits(q, baseDecimals)])));
      fill("exchange-bids", depth.bids.map(([p, q]) =>
        row([formatUnits(p, quoteDecimals), formatUnits(q, baseDecimals)])));
      fill("exchange-trades", trades.slice(0, 20).map((t) =>
        row([formatUnits(t.price, quoteDecimals), formatUnits(t.quantity, baseDecimals),
             formatSeoulTime(new Date(t.created_at))])));
      if (trades.length) setText("exchange-last", formatUnits(trades[0].price, quoteDecimals));
      ensureChart();
      if (series) {
        const unit = 10 ** quoteDecimals;
        series.setData(candles.map(([t, o, h, l, c]) => ({
          time: t, open: Number(o) / unit, high: Number(h) / unit, low: Number(l) / unit,
          close: Number(c) / unit,
        })));
      }
      // The catalogue's plural rule (jsi18n): "1 candle", "2 candles"; Korean has one form.
      setText("exchange-candle-count",
        interpolate(ngettext("%s candle", "%s candles", candles.length), [candles.length]));
      preview();
      root.dataset.refreshed = String(Date.now());
    } catch (error) {
      // The next refresh tries again; the page keeps what it showed.
    }
  }

  const form = document.getElementById("exchange-order-form");

  function show(name, visible) {
    const input = form.elements[name];
    if (!input) return;
    input.closest(".field").hidden = !visible;
    input.disabled = !visible; // a hidden field is not sent
  }

  // Fields per order type: a limit order has a price, a time in force and post-only; a
  // market order has none of these but IOC or FOK, and a market buy may give the amount
  // to spend instead of a quantity.
  function applyKind({ chooseTimeInForce }) {
    const isMarket = form.elements.kind.value === "market";
    const isBuy = form.elements.side.value === "buy";
    show("price", !isMarket);
    show("post_only", !isMarket);
    show("quote_amount", isMarket && isBuy);
    const timeInForce = form.elements.time_in_force;
    timeInForce.querySelector('option[value="GTC"]').disabled = isMarket;
    if (chooseTimeInForce) timeInForce.value = isMarket ? "IOC" : "GTC";
    else if (isMarket && timeInForce.value === "GTC") timeInForce.value = "IOC";
    document.getElementById("exchange-preview-limit").hidden = isMarket;
    document.getElementById("exchange-preview-market").hidden = !isMarket;
  }

  function feeText(total) {
    return formatUnits(((total * takerBps) / 10000n).toString(), quoteDecimals) +
      " " + quote + " (" + (Number(takerBps) / 100).toFixed(2) + " %)";
  }

  function previewLimit() {
    const price = parseUnits(form.elements.price.value, quoteDecimals);
    const quantity = parseUnits(form.elements.quantity.value, baseDecimals);
    const total = price !== null && quantity !== null ? (price * quantity) / scale : null;
    setText("exchange-total", total === null ? "—" : formatUnits(total, quoteDecimals));
    setText("exchange-fee", total === null ? "—" : feeText(total));
  }

  function previewMarket() {
    const side = form.elements.side.value;
    const quantity = parseUnits(form.elements.quantity.value, baseDecimals) || 0n;
    const spend = side === "buy" ? parseUnits(form.elements.quote_amount.value, quoteDecimals) || 0n : 0n;
    const shortage = document.getElementById("exchange-liquidity");
    if (!quantity && !spend) {
      for (const id of ["exchange-estimate-price", "exchange-estimate-total",
        "exchange-estimate-quantity", "exchange-estimate-fee"]) setText(id, "—");
      shortage.hidden = true;
      return;
    }
    const estimate = estimateMarketOrder({
      side, levels: side === "buy" ? book.asks : book.bids, quantity, quoteAmount: spend, scale, lot,
    });
    setText("exchange-estimate-price", estimate.averagePrice === null ? "—"
      : formatUnits(estimate.averagePrice, quoteDecimals));
    setText("exchange-estimate-total", formatUnits(estimate.total, quoteDecimals));
    setText("exchange-estimate-quantity", formatUnits(estimate.quantity, baseDecimals));
    setText("exchange-estimate-fee", feeText(estimate.total));
    shortage.hidden = estimate.isComplete;
    root.dataset.estimate = estimate.isComplete ? "complete" : "insufficient";
  }

  function preview() {
    if (!form) return;
    if (form.elements.kind.value === "market") previewMarket();
    else previewLimit();
  }

  if (form) {
    form.elements.kind.addEventListener("change", () => applyKind({ chooseTimeInForce: true }));
    form.elements.side.addEventListener("change", () => applyKind({ chooseTimeInForce: false }));
    form.addEventListener("input", preview);
    form.addEventListener("change", preview);
    applyKind({ chooseTimeInForce: false });
    preview();
  }
  refresh();
  setInterval(refresh, 2000);
})();
