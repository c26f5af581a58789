# switchyard on Google Cloud: one 2nd-gen function per mode.
#   event mode: Eventarc (object finalized, one trigger per bucket) → switchyardEvent
#   batch mode: bucket notifications → Pub/Sub topic → pull subscription (dead-letter topic),
#               drained by switchyardDrain, called by Cloud Scheduler with an OIDC token.

data "google_project" "this" {
  project_id = var.project_id
}

data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

locals {
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
  ]

  # The module each function's package.json `main` names: functions-framework
  # loads it, and it registers the entry point.
  function_main = {
    event = "dist/triggers/cloud/gcp.js"
    drain = "dist/triggers/cloud/gcp-drain.js"
  }

  # Everything staged but node_modules (Cloud Build installs it) and
  # package.json (rewritten per function below).
  staged_files = [
    for f in fileset(var.source_dir, "**") : f
    if !startswith(f, "node_modules/") && f != "package.json"
  ]
  staged_package = jsondecode(file("${var.source_dir}/package.json"))

  # The staged folder ships dist/ and no source: Cloud Build must not run its
  # build (`build`, and `prepare` on npm ci).
  deployed_scripts = {
    for name, script in try(local.staged_package.scripts, {}) : name => script
    if !contains(["prepare", "build"], name)
  }

  referential_uri = "gs://${var.referential_bucket}/${google_storage_bucket_object.referential.name}"
  source_buckets  = toset(concat(keys(var.event_buckets), var.batch_buckets))
  routed_buckets  = setunion(local.source_buckets, toset(var.destination_buckets))

  subscription_path = "projects/${var.project_id}/subscriptions/${google_pubsub_subscription.notifications.name}"
  queue_query       = "topic=${google_pubsub_topic.notifications.name}&deadLetterTopic=${google_pubsub_topic.dead_letters.name}"

  ledger_env = var.ledger_url == "" ? {} : { SWITCHYARD_LEDGER = var.ledger_url }

  common_env = merge({
    SWITCHYARD_ROUTES    = local.referential_uri
    SWITCHYARD_CONFIG    = "switchyard.yaml"
    SWITCHYARD_LOG_LEVEL = var.log_level
  }, local.ledger_env)
}

resource "google_project_service" "apis" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "terraform_data" "inputs" {
  input = local.source_buckets

  lifecycle {
    precondition {
      condition     = length(setintersection(toset(keys(var.event_buckets)), toset(var.batch_buckets))) == 0
      error_message = "A bucket is in both event_buckets and batch_buckets: expected each source bucket in one mode."
    }
    precondition {
      condition     = fileexists("${var.source_dir}/dist/triggers/cloud/gcp.js") && fileexists("${var.source_dir}/dist/triggers/cloud/gcp-drain.js")
      error_message = "source_dir has no dist/triggers/cloud/gcp.js or dist/triggers/cloud/gcp-drain.js: expected the staged build folder (npm run build, then stage it: see README.md)."
    }
    precondition {
      condition     = can(regex("(?m)^routesProject:", file("${var.source_dir}/switchyard.yaml")))
      error_message = "source_dir/switchyard.yaml must exist and name `routesProject:` (the gcs project of the referential bucket): the functions read the referential from gs://."
    }
  }
}

# --- the referential -----------------------------------------------------------

resource "google_storage_bucket_object" "referential" {
  bucket       = var.referential_bucket
  name         = var.referential_object
  source       = var.referential_file
  content_type = "text/csv"
}

# --- function source -----------------------------------------------------------

resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
}

data "archive_file" "function" {
  for_each = local.function_main

  type        = "zip"
  output_path = "${path.root}/.terraform/${var.name_prefix}-${each.key}.zip"

  dynamic "source" {
    for_each = local.staged_files
    content {
      filename = source.value
      content  = file("${var.source_dir}/${source.value}")
    }
  }

  source {
    filename = "package.json"
    content  = jsonencode(merge(local.staged_package, { main = each.value, scripts = local.deployed_scripts }))
  }
}

resource "google_storage_bucket_object" "function" {
  for_each = local.function_main

  bucket = google_storage_bucket.sources.name
  name   = "${each.key}-${data.archive_file.function[each.key].output_md5}.zip"
  source = data.archive_file.function[each.key].output_path
}

# --- event mode ----------------------------------------------------------------

resource "google_cloudfunctions2_function" "event" {
  project  = var.project_id
  name     = "${var.name_prefix}-event"
  location = var.region

  build_config {
    runtime     = "nodejs24"
    entry_point = "switchyardEvent"

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.function["event"].name
      }
    }
  }

  service_config {
    available_memory               = var.memory
    timeout_seconds                = var.event_timeout_seconds
    max_instance_count             = var.event_max_instances
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.runtime.email
    environment_variables          = local.common_env
  }

  depends_on = [google_project_service.apis, terraform_data.inputs]
}

resource "google_eventarc_trigger" "finalized" {
  for_each = var.event_buckets

  project         = var.project_id
  name            = "${var.name_prefix}-${substr(sha256(each.key), 0, 12)}"
  location        = each.value
  service_account = google_service_account.trigger.email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }

  matching_criteria {
    attribute = "bucket"
    value     = each.key
  }

  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.event.service_config[0].service
      region  = var.region
    }
  }

  depends_on = [
    google_project_iam_member.gcs_agent_publishes_events,
    google_project_iam_member.trigger_receives_events,
  ]
}

# --- batch mode ----------------------------------------------------------------

resource "google_pubsub_topic" "notifications" {
  project = var.project_id
  name    = "${var.name_prefix}-notifications"

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letters" {
  project = var.project_id
  name    = "${var.name_prefix}-dead-letters"

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "notifications" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-notifications"
  topic                      = google_pubsub_topic.notifications.id
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letters.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}

# Where `switchyard dead-letters list|retry|purge` reads the dead letters.
resource "google_pubsub_subscription" "dead_letters" {
  project                    = var.project_id
  name                       = "${var.name_prefix}-dead-letters"
  topic                      = google_pubsub_topic.dead_letters.id
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

resource "google_storage_notification" "batch" {
  for_each = toset(var.batch_buckets)

  bucket         = each.value
  topic          = google_pubsub_topic.notifications.id
  payload_format = "JSON_API_V1"
  event_types    = ["OBJECT_FINALIZE"]

  depends_on = [google_pubsub_topic_iam_member.gcs_agent_publishes_notifications]
}

resource "google_cloudfunctions2_function" "drain" {
  project  = var.project_id
  name     = "${var.name_prefix}-drain"
  location = var.region

  build_config {
    runtime     = "nodejs24"
    entry_point = "switchyardDrain"

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.function["drain"].name
      }
    }
  }

  service_config {
    available_memory                 = var.memory
    timeout_seconds                  = var.drain_timeout_seconds
    max_instance_count               = 1
    max_instance_request_concurrency = 1
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.runtime.email

    environment_variables = merge(local.common_env, {
      SWITCHYARD_QUEUE       = "pubsub://${local.subscription_path}?${local.queue_query}"
      SWITCHYARD_TIME_BUDGET = "${var.drain_timeout_seconds - 60}s"
    })
  }

  depends_on = [google_project_service.apis, terraform_data.inputs]
}

resource "google_cloud_scheduler_job" "drain" {
  project          = var.project_id
  name             = "${var.name_prefix}-drain"
  region           = var.region
  schedule         = var.drain_schedule
  time_zone        = var.drain_time_zone
  attempt_deadline = "${var.drain_timeout_seconds}s"

  retry_config {
    retry_count = 1
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.drain.service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = google_cloudfunctions2_function.drain.service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_service_iam_member.invoker_calls_drain]
}
