// The entry the runner starts. Everything happens in `run()`, which reports
// its own failures and sets the exit code.
import { run } from './main.js'

void run()
