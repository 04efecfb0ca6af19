// Pure helpers of the trading page, with no DOM: amounts in integer minor units (BigInt),
// formatting, and what a market order would do against the book the page shows. The
// estimate is advisory: the server matches against the book as it is when the order arrives.
// Exposed as window.BusanExchange (trade.js and the browser tests call it).
(function (global) {
  "use strict";

  // "1234500000" with 9 decimals -> "1.2345"; thousands separated by commas.
  function formatUnits(units, decimals) {
    const text = String(units);
    const negative = text.startsWith("-");
    const digits = (negative ? text.slice(1) : text).padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals) || "0";
    const fraction = decimals ? digits.slice(digits.length - decimals).replace(/0+$/, "") : "";
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + grouped + (fraction ? "." + fraction : "");
  }

  // "1,234.5" with 2 decimals -> 123450n; null for anything that is not such a number.
  function parseUnits(text, decimals) {
    const clean = (text || "").trim().replace(/,/g, "");
    if (clean === "" || clean === "." || !/^\d*(\.\d*)?$/.test(clean)) return null;
    const [whole, fraction = ""] = clean.split(".");
    if (fraction.length > decimals) return null;
    return BigInt((whole || "0") + fraction.padEnd(decimals, "0"));
  }

  /**
   * What a market order would fill against `levels`, the opposite side of the book best
   * first ([price, quantity] pairs of integer strings or BigInts: asks ascending for a buy,
   * bids descending for a sell). Sized by `quantity` (base units), or, for a buy, by
   * `quoteAmount` (quote units to spend, in whole `lot`s) when quantity is 0. As the engine
   * does: a fill's cost is price × quantity / scale, rounded down, level by level.
   *
   * Returns BigInts {quantity, total, averagePrice} (averagePrice: total × scale / quantity,
   * rounded down; null when nothing fills) and isComplete: false when the book shown is too
   * thin for the whole order ("insufficient liquidity").
   */
  function estimateMarketOrder({ side, levels, quantity, quoteAmount, scale, lot }) {
    scale = BigInt(scale);
    lot = BigInt(lot || 1);
    let need = BigInt(quantity || 0);
    let budget = BigInt(quoteAmount || 0);
    const byQuote = side === "buy" && need === 0n;
    if (byQuote ? budget <= 0n : need <= 0n) {
      return { quantity: 0n, total: 0n, averagePrice: null, isComplete: true };
    }
    let filled = 0n;
    let total = 0n;
    let isComplete = false;
    for (const [rawPrice, rawQuantity] of levels) {
      const price = BigInt(rawPrice);
      const available = BigInt(rawQuantity);
      let take;
      if (byQuote) {
        const affordable = ((budget * scale) / price / lot) * lot;
        if (affordable === 0n) {
          isComplete = true;
          break;
        }
        take = affordable < available ? affordable : available;
      } else {
        take = need < available ? need : available;
      }
      const cost = (price * take) / scale;
      filled += take;
      total += cost;
      if (byQuote) {
        budget -= cost;
      } else {
        need -= take;
        if (need === 0n) {
          isComplete = true;
          break;
        }
      }
    }
    if (byQuote && !isComplete && levels.length) {
      // The last level was taken whole: complete if what is left buys no lot even there.
      const last = BigInt(levels[levels.length - 1][0]);
      isComplete = (budget * scale) / last / lot === 0n;
    }
    return {
      quantity: filled,
      total: total,
      averagePrice: filled ? (total * scale) / filled : null,
      isComplete: isComplete,
    };
  }

  // The chart's price axis: "3,000,000 KRW" (grouping of the page's language).
  function formatPrice(value, { locale, decimals, quote }) {
    const number = new Intl.NumberFormat(locale, {
      minimumFractionDigits: 0,
      maximumFractionDigits: decimals,
    }).format(value);
    return quote ? number + " " + quote : number;
  }

  // A time in Seoul: "16:20:03" (or with the date, "2026-12-04 16:20").
  function formatSeoulTime(date, { withDate = false, withSeconds = true } = {}) {
    const parts = {};
    const options = {
      timeZone: "Asia/Seoul",
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      second: "2-digit",
    };
    for (const part of new Intl.DateTimeFormat("en-CA", options).formatToParts(date)) {
      parts[part.type] = part.value;
    }
    const time = parts.hour + ":" + parts.minute + (withSeconds ? ":" + parts.second : "");
    return withDate ? parts.year + "-" + parts.month + "-" + parts.day + " " + time : time;
  }

  global.BusanExchange = {
    formatUnits: formatUnits,
    parseUnits: parseUnits,
    estimateMarketOrder: estimateMarketOrder,
    formatPrice: formatPrice,
    formatSeoulTime: formatSeoulTime,
  };
})(window);
