// Where Cesium finds its workers and assets (a file, not an inline script: the CSP forbids those).
window.CESIUM_BASE_URL = "/cesium/";
