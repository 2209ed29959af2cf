"""Our audiences in Fanfare's shape: every field its audience object lists."""

from audiences.models import actor_name


def audience_import(imp) -> dict:
    return {
        "archived": imp.archived,
        "audienceId": str(imp.audience_id),
        "createdAt": imp.created_at,
        "createdBy": actor_name(imp.created_by, imp.created_by_key),
        "errorCount": imp.error_count,
        "id": str(imp.pk),
        "organizationId": str(imp.organization_id),
        "processedConsumers": imp.processed,
        "progress": imp.progress,
        "s3Key": imp.file.name,
        "errors": imp.errors,
        "totalConsumers": imp.total or 0,
        "updatedAt": imp.updated_at,
        "updatedBy": actor_name(imp.created_by, imp.created_by_key),
    }


def sync_source(source) -> dict:
    return {
        "archived": source.archived,
        "createdAt": source.created_at,
        "createdBy": actor_name(source.created_by, source.created_by_key),
        "id": str(source.pk),
        "organizationId": str(source.organization_id),
        "syncSource": source.vendor,
        "syncSourceId": source.external_id,
        "lastSyncedAt": source.last_synced_at,
        "sourceData": source.source_data,
        "syncStatus": source.sync_status,
        "updatedAt": source.updated_at,
        "updatedBy": actor_name(source.updated_by, source.updated_by_key),
    }


def audience(row) -> dict:
    """`row` with its group, rules, imports and sync sources prefetched."""
    primary = next((s for s in row.sync_sources.all() if s.is_primary), None)
    return {
        "archived": row.archived,
        "createdAt": row.created_at,
        "createdBy": actor_name(row.created_by, row.created_by_key),
        "id": str(row.pk),
        "imports": [audience_import(imp) for imp in row.imports.all()],
        "name": row.name,
        "organizationId": str(row.organization_id),
        "rules": [
            {
                "audienceId": str(row.pk),
                "field": rule.field,
                "id": str(rule.pk),
                "organizationId": str(row.organization_id),
                "values": [str(value) for value in rule.values],
                "groupId": str(row.group_id) if row.group_id else None,
                "position": rule.position,
            }
            for rule in row.rules.all()
        ],
        "description": row.description,
        "groupId": str(row.group_id) if row.group_id else None,
        "groupName": row.group.name if row.group_id else None,
        "iconName": row.icon_name,
        "lastRefreshedAt": row.last_refreshed_at,
        "metadata": row.metadata,
        "primaryExternalId": primary.external_id if primary else None,
        "primaryLastSyncedAt": primary.last_synced_at if primary else None,
        "primarySourceVendor": primary.vendor if primary else None,
        "primarySyncSource": sync_source(primary) if primary else None,
        "primarySyncSourceId": str(primary.pk) if primary else None,
        "refreshIntervalSeconds": row.refresh_interval_seconds,
        "updatedAt": row.updated_at,
        "updatedBy": actor_name(row.updated_by, row.updated_by_key),
    }
