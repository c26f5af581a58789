variable "project_id" {
  description = "Google Cloud project the functions, topics and service accounts are created in."
  type        = string
}

variable "region" {
  description = "Region of the functions, the scheduler job and the source-archive bucket."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, topics, service accounts: keep it short, lowercase)."
  type        = string
  default     = "switchyard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,16}$", var.name_prefix))
    error_message = "name_prefix: expected 3 to 17 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "enable_apis" {
  description = "Enable the APIs the module uses (Cloud Functions, Run, Build, Artifact Registry, Eventarc, Pub/Sub, Scheduler)."
  type        = bool
  default     = true
}

variable "source_dir" {
  description = "Staged build folder: dist/, package.json, package-lock.json and switchyard.yaml (see README.md: Stage the build). node_modules is left out: Cloud Build installs it for nodejs24."
  type        = string
}

variable "referential_file" {
  description = "Local path of the routing referential (CSV) uploaded to referential_bucket."
  type        = string
}

variable "referential_bucket" {
  description = "Existing bucket (uniform bucket-level access) that holds the referential; the functions may read that one object only."
  type        = string
}

variable "referential_object" {
  description = "Object name of the referential in referential_bucket."
  type        = string
  default     = "switchyard/routes.csv"
}

variable "event_buckets" {
  description = "Source buckets routed the moment a file lands (event mode), each mapped to its location for the Eventarc trigger (the bucket's region, or e.g. \"eu\" for a multi-region bucket)."
  type        = map(string)
  default     = {}
}

variable "batch_buckets" {
  description = "Source buckets whose notifications queue up on Pub/Sub and are routed by the scheduled drain (batch mode)."
  type        = list(string)
  default     = []
}

variable "destination_buckets" {
  description = "Buckets the referential routes to. Sources and destinations get roles/storage.objectAdmin on that bucket only."
  type        = list(string)
}

variable "drain_schedule" {
  description = "Cloud Scheduler cron expression of the drain (batch mode)."
  type        = string
  default     = "*/15 * * * *"
}

variable "drain_time_zone" {
  description = "Time zone of drain_schedule."
  type        = string
  default     = "Etc/UTC"
}

variable "drain_timeout_seconds" {
  description = "Timeout of the drain function; the drain stops taking new messages 60 s before it (SWITCHYARD_TIME_BUDGET)."
  type        = number
  default     = 540

  validation {
    condition     = var.drain_timeout_seconds >= 120 && var.drain_timeout_seconds <= 1800
    error_message = "drain_timeout_seconds: expected 120 to 1800 (the scheduler's attempt deadline caps an HTTP call at 30 minutes)."
  }
}

variable "event_timeout_seconds" {
  description = "Timeout of the event function (an event-driven function may run 540 s at most)."
  type        = number
  default     = 540

  validation {
    condition     = var.event_timeout_seconds >= 60 && var.event_timeout_seconds <= 540
    error_message = "event_timeout_seconds: expected 60 to 540."
  }
}

variable "event_max_instances" {
  description = "Most instances of the event function at once."
  type        = number
  default     = 10
}

variable "max_delivery_attempts" {
  description = "Deliveries of a notification before Pub/Sub moves it to the dead-letter topic (5 to 100)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts: expected 5 to 100 (Pub/Sub's bounds)."
  }
}

variable "memory" {
  description = "Memory of each function."
  type        = string
  default     = "512Mi"
}

variable "ledger_url" {
  description = "SWITCHYARD_LEDGER, e.g. postgres://… (Cloud SQL) to share one ledger and the drain lock; empty: memory:, a ledger in each instance's memory that needs no native module (the destination's metadata keeps deliveries idempotent)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "log_level" {
  description = "SWITCHYARD_LOG_LEVEL of both functions."
  type        = string
  default     = "info"
}
