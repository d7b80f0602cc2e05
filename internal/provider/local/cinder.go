package local

import (
	"context"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/volume"
)

// volumePlugin is OS::Cinder::Volume: a sparse file formatted ext4.
type volumePlugin struct{ p *Provider }

func (volumePlugin) Schema() *hot.Schema { return schemaOf("OS::Cinder::Volume") }

func (vp volumePlugin) spec(r *resources.Resource) (volume.Volume, error) {
	props := r.Properties
	for _, unsupported := range []string{"snapshot_id", "backup_id", "image"} {
		if str(props, unsupported) != "" {
			return volume.Volume{}, model.Invalidf("The property %s is not supported by the local provider.", unsupported)
		}
	}
	return volume.Volume{ID: r.PhysicalID, Name: physicalName(r), Description: str(props, "description"),
		ProjectID: r.Stack.ProjectID, SizeGiB: integer(props, "size", 0), Metadata: stringMap(props, "metadata"),
		ReadOnly: boolean(props, "read_only", false), SourceVolID: str(props, "source_volid")}, nil
}

func (vp volumePlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	v, err := vp.spec(r)
	if err != nil {
		return "", err
	}
	if _, err := vp.p.vols.CreateVolume(ctx, v); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update changes the name, description, metadata and read-only flag, and
// extends a detached volume.
func (vp volumePlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	v, err := vp.spec(r)
	if err != nil {
		return err
	}
	_, err = vp.p.vols.UpdateVolume(ctx, v)
	return err
}

func (vp volumePlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return vp.p.vols.DeleteVolume(ctx, r.PhysicalID)
}

func (vp volumePlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	return vp.p.vols.Exists(ctx, r.PhysicalID), nil
}

func (vp volumePlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	v, err := vp.p.vols.GetVolume(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	meta := map[string]any{}
	for k, val := range v.Metadata {
		meta[k] = val
	}
	attachments := []any{}
	for _, a := range v.Attachments {
		attachments = append(attachments, map[string]any{"id": a.ID, "attachment_id": a.ID, "volume_id": a.VolumeID,
			"server_id": a.ServerID, "device": a.Mountpoint})
	}
	var source any
	if v.SourceVolID != "" {
		source = v.SourceVolID
	}
	return map[string]any{
		"availability_zone": "nova", "size": v.SizeGiB, "snapshot_id": nil, "display_name": v.Name,
		"display_description": v.Description, "volume_type": nil, "metadata": mustJSON(meta), "metadata_values": meta,
		"source_volid": source, "status": v.Status, "created_at": v.CreatedAt.Format(time.RFC3339),
		"bootable": false, "encrypted": false, "attachments": mustJSON(attachments), "attachments_list": attachments,
		"multiattach": false,
	}, nil
}

// volumeAttachmentPlugin is OS::Cinder::VolumeAttachment: the volume,
// through a loop device, mounted inside the server's machine at the
// mountpoint, or a block device node there when the mountpoint is under
// /dev (the default, as Nova's /dev/vdb).
type volumeAttachmentPlugin struct{ p *Provider }

func (volumeAttachmentPlugin) Schema() *hot.Schema { return schemaOf("OS::Cinder::VolumeAttachment") }

func (ap volumeAttachmentPlugin) attach(ctx context.Context, r *resources.Resource) error {
	_, err := ap.p.vols.Attach(ctx, volume.Attachment{ID: r.PhysicalID, VolumeID: str(r.Properties, "volume_id"),
		ServerID: str(r.Properties, "instance_uuid"), Mountpoint: str(r.Properties, "mountpoint")})
	return err
}

func (ap volumeAttachmentPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := ap.attach(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update moves the attachment: to another volume, server or mountpoint.
func (ap volumeAttachmentPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return ap.attach(ctx, r)
}

func (ap volumeAttachmentPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return ap.p.vols.Detach(ctx, r.PhysicalID)
}

func (ap volumeAttachmentPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	return ap.p.vols.Attached(ctx, r.PhysicalID)
}

func (ap volumeAttachmentPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	a, err := ap.p.vols.GetAttachment(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"volume_id": a.VolumeID, "server_id": a.ServerID, "device": a.Mountpoint}, nil
}
