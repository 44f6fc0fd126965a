// The console's base map: MapLibre GL JS drawing the imported city from the app's own tiles.
// Nothing here leaves the machine: tiles, style and fonts come from the Gongwu server, MapLibre from
// /vendor/maplibre-gl/. Labels need no glyph server: MapLibre draws them itself, Latin with the Noto Sans
// files the style declares (web/map/fonts), Chinese with the browser's own CJK fonts.
//
//   import { createBaseMap } from "/static/map/basemap.js";
//   const map = await createBaseMap(document.getElementById("map"), { zoom: 15 });
//   map.on("load", () => map.addSource("cars", { type: "geojson", data }));
//
// Coordinates are WGS-84 [lon, lat] like everything the API returns.

import * as maplibregl from "/vendor/maplibre-gl/maplibre-gl.mjs";

export { maplibregl };

/** CSS font families used for Chinese, Japanese and Korean labels (drawn locally by the browser). */
export const CJK_FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

/**
 * Create the base map in `container` (an element or its id).
 *
 * options:
 *   styleUrl   where the style comes from (default "/map/style.json", which carries the map's bounds)
 *   center     [lon, lat] to start at (default: the imported map's centre)
 *   zoom       start zoom (default: fit the imported map)
 *   interactive, hash, attributionControl …: passed on to maplibregl.Map
 *
 * Resolves to the maplibregl.Map once its style is loaded (sources of the page can be added right away).
 */
export async function createBaseMap(container, options = {}) {
  const { styleUrl = "/map/style.json", ...mapOptions } = options;
  const response = await fetch(styleUrl, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`base map style: ${response.status} ${response.statusText} (is a map imported?)`);
  }
  const style = await response.json();
  const bounds = style.metadata && style.metadata["gongwu:bounds"];
  const map = new maplibregl.Map({
    container,
    style,
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: { compact: true },
    maxPitch: 0,
    ...(bounds && mapOptions.center === undefined ? { bounds, fitBoundsOptions: { padding: 20 } } : {}),
    ...mapOptions,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  await new Promise((resolve, reject) => {
    if (map.isStyleLoaded()) return resolve();
    map.once("load", resolve);
    map.once("error", (event) => (map.isStyleLoaded() ? resolve() : reject(event.error)));
  });
  return map;
}

/** Resolves when the map has drawn everything it is waiting for (tiles, labels). */
export function whenIdle(map) {
  return new Promise((resolve) => {
    if (map.loaded() && map.areTilesLoaded()) return resolve(map);
    map.once("idle", () => resolve(map));
  });
}
