// Desktop simulator build: there is no task watchdog to feed.
const TaskWatchdog = { arm(_timeoutMs: number): void {}, feed(): void {} };
export default TaskWatchdog;
