// JavaScript face of the esp_task_wdt native module.
function arm(timeoutMs) @ "xs_taskwdt_arm";
function feed() @ "xs_taskwdt_feed";

export default Object.freeze({ arm, feed });
