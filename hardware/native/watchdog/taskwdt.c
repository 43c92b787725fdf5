/*
 * esp_task_wdt for the XS task. Moddable's default sdkconfig leaves the task watchdog off, so the
 * board's sdkconfig enables it without initialising it at boot; arm() initialises (or reconfigures)
 * it with a panic on timeout and subscribes the calling task, feed() resets it.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "esp_task_wdt.h"

static int gArmed = 0;

void xs_taskwdt_arm(xsMachine *the)
{
	esp_task_wdt_config_t config = {
		.timeout_ms = (uint32_t)xsmcToInteger(xsArg(0)),
		.idle_core_mask = 0,
		.trigger_panic = true,
	};
	esp_err_t err = gArmed ? esp_task_wdt_reconfigure(&config) : esp_task_wdt_init(&config);
	if (ESP_OK != err)
		xsUnknownError("task watchdog init failed");
	if (!gArmed && (ESP_OK != esp_task_wdt_add(NULL)))
		xsUnknownError("task watchdog add failed");
	gArmed = 1;
}

void xs_taskwdt_feed(xsMachine *the)
{
	if (gArmed)
		esp_task_wdt_reset();
}
