variable "name_prefix" {
  description = "Prefix of every resource name (functions, queues, roles, schedules)."
  type        = string
  default     = "switchyard"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{2,30}$", var.name_prefix))
    error_message = "name_prefix: expected 3 to 31 letters, digits or dashes, starting with a letter."
  }
}

variable "source_dir" {
  description = "Staged build folder: dist/, package.json, switchyard.yaml and node_modules installed with --omit=dev under Node 24 on Linux for lambda_architecture (see README.md: Stage the build)."
  type        = string
}

variable "lambda_architecture" {
  description = "x86_64 or arm64: the architecture node_modules was installed on (@node-rs/crc32 is native; better-sqlite3 too, loaded only for a sqlite: ledger_url)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture: expected x86_64 or arm64."
  }
}

variable "referential_file" {
  description = "Local path of the routing referential (CSV) uploaded to referential_bucket."
  type        = string
}

variable "referential_bucket" {
  description = "Existing bucket that holds the referential; the functions may read that one object only."
  type        = string
}

variable "referential_key" {
  description = "Key of the referential in referential_bucket."
  type        = string
  default     = "switchyard/routes.csv"
}

variable "event_buckets" {
  description = "Source buckets routed the moment a file lands (event mode: S3 → Lambda)."
  type        = list(string)
  default     = []
}

variable "batch_buckets" {
  description = "Source buckets whose notifications queue up on SQS and are routed when the scheduled drain window opens (batch mode)."
  type        = list(string)
  default     = []
}

variable "destination_buckets" {
  description = "Buckets the referential routes to. Sources and destinations get object read, write and delete on that bucket only."
  type        = list(string)
}

variable "drain_open_schedule" {
  description = "EventBridge Scheduler expression that starts the drain: the queue's event source mapping is enabled."
  type        = string
  default     = "cron(0 * * * ? *)"
}

variable "drain_close_schedule" {
  description = "EventBridge Scheduler expression that ends the drain: the mapping is disabled, notifications wait in the queue."
  type        = string
  default     = "cron(20 * * * ? *)"
}

variable "drain_time_zone" {
  description = "Time zone of the drain schedules."
  type        = string
  default     = "Etc/UTC"
}

variable "drain_max_concurrency" {
  description = "Most drain invocations at once (the SQS event source mapping's maximum concurrency, 2 to 1000)."
  type        = number
  default     = 2
}

variable "drain_batch_size" {
  description = "SQS messages handed to one drain invocation."
  type        = number
  default     = 10
}

variable "timeout_seconds" {
  description = "Timeout of each function; the queue's visibility timeout is six times the drain's."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 30 && var.timeout_seconds <= 900
    error_message = "timeout_seconds: expected 30 to 900 (Lambda's limit)."
  }
}

variable "memory_mb" {
  description = "Memory of each function (MB)."
  type        = number
  default     = 512
}

variable "max_receive_count" {
  description = "Receives of a notification before SQS moves it to the dead-letter queue."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups."
  type        = number
  default     = 30
}

variable "ledger_url" {
  description = "SWITCHYARD_LEDGER, e.g. postgres://… to share one ledger; empty: memory:, a ledger in each instance's memory that needs no native module (the destination's metadata keeps deliveries idempotent)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "log_level" {
  description = "SWITCHYARD_LOG_LEVEL of both functions."
  type        = string
  default     = "info"
}
