# Least privilege: each identity gets its roles on the named resources only.

resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-run"
  display_name = "switchyard functions (routes files)"
}

resource "google_service_account" "invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-invoker"
  display_name = "switchyard drain invoker (Cloud Scheduler)"
}

resource "google_service_account" "trigger" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-trigger"
  display_name = "switchyard Eventarc triggers"
}

# Sources are read and deleted (a move), destinations written and verified.
resource "google_storage_bucket_iam_member" "runtime_routes_objects" {
  for_each = local.routed_buckets

  bucket = each.value
  role   = "roles/storage.objectAdmin"
  member = google_service_account.runtime.member
}

# The referential, and nothing else in its bucket (needs uniform bucket-level access).
resource "google_storage_bucket_iam_member" "runtime_reads_referential" {
  bucket = var.referential_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.runtime.member

  condition {
    title      = "${var.name_prefix}-referential-only"
    expression = "resource.name == \"projects/_/buckets/${var.referential_bucket}/objects/${var.referential_object}\""
  }
}

resource "google_pubsub_subscription_iam_member" "runtime_pulls_notifications" {
  project      = var.project_id
  subscription = google_pubsub_subscription.notifications.name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.runtime.member
}

# switchyard dead-letters what it cannot route (with the reason) on this topic.
resource "google_pubsub_topic_iam_member" "runtime_publishes_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letters.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.runtime.member
}

resource "google_cloud_run_service_iam_member" "invoker_calls_drain" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.drain.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

resource "google_cloud_run_service_iam_member" "trigger_calls_event" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.event.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

# Eventarc grants this role per project only.
resource "google_project_iam_member" "trigger_receives_events" {
  count = length(var.event_buckets) > 0 ? 1 : 0

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# Eventarc's Cloud Storage triggers publish through topics it creates: the
# Cloud Storage service agent needs the publisher role on the project.
resource "google_project_iam_member" "gcs_agent_publishes_events" {
  count = length(var.event_buckets) > 0 ? 1 : 0

  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_pubsub_topic_iam_member" "gcs_agent_publishes_notifications" {
  project = var.project_id
  topic   = google_pubsub_topic.notifications.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# Pub/Sub forwards a message past max_delivery_attempts to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "pubsub_agent_publishes_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letters.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_forwards_dead_letters" {
  project      = var.project_id
  subscription = google_pubsub_subscription.notifications.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
