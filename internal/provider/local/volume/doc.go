// Package volume makes Cinder volumes real on the local host: a volume is a
// sparse file formatted ext4, and an attachment hands it to a running
// machine through a loop device, either mounted at a path inside the
// machine or as a block device node in the machine's /dev. Loop devices are
// host-global, so every attachment's device is released when it is
// detached, when its machine goes, and at start-up for anything no record
// names.
package volume
