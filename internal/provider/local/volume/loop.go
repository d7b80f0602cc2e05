package volume

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// loopMajor is the block major number of loop devices.
const loopMajor = 7

// loopDevice is an attached loop device.
type loopDevice struct {
	minor int
	// rdev is the device number, for device nodes and mountinfo.
	rdev uint64
}

// path returns the host's node of the device.
func (d loopDevice) path() string { return fmt.Sprintf("/dev/loop%d", d.minor) }

// loopsBacking returns the loop devices whose backing file is file.
func loopsBacking(file string) ([]loopDevice, error) {
	dirs, err := filepath.Glob("/sys/block/loop*")
	if err != nil {
		return nil, fmt.Errorf("list loop devices: %w", err)
	}
	var out []loopDevice
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "loop", "backing_file"))
		if err != nil {
			continue // not attached
		}
		if strings.TrimSpace(string(b)) != file {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "loop"))
		if err != nil {
			continue
		}
		out = append(out, loopDevice{minor: n, rdev: unix.Mkdev(loopMajor, uint32(n))})
	}
	return out, nil
}

// attachLoop returns the loop device that backs file, attaching one when
// there is none. autoclear makes the kernel detach the device when its
// last user closes it: a mount inside a machine then takes the device with
// it when the machine's mount namespace goes. The device is returned open;
// the caller closes it once whatever uses it holds it.
func attachLoop(file string, readOnly, autoclear bool) (loopDevice, *os.File, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	if have, err := loopsBacking(file); err != nil {
		return loopDevice{}, nil, err
	} else if len(have) > 0 {
		f, err := os.OpenFile(have[0].path(), flag, 0)
		if err != nil {
			return loopDevice{}, nil, fmt.Errorf("open %s: %w", have[0].path(), err)
		}
		return have[0], f, nil
	}
	backing, err := os.OpenFile(file, flag, 0)
	if err != nil {
		return loopDevice{}, nil, fmt.Errorf("open volume file: %w", err)
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return loopDevice{}, nil, fmt.Errorf("open /dev/loop-control: %w", err)
	}
	defer ctl.Close()
	var lastErr error
	for range 16 {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return loopDevice{}, nil, fmt.Errorf("find a free loop device: %w", err)
		}
		dev := loopDevice{minor: n, rdev: unix.Mkdev(loopMajor, uint32(n))}
		f, err := os.OpenFile(dev.path(), flag, 0)
		if err != nil {
			return loopDevice{}, nil, fmt.Errorf("open %s: %w", dev.path(), err)
		}
		cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
		copy(cfg.Info.File_name[:], file)
		if readOnly {
			cfg.Info.Flags |= unix.LO_FLAGS_READ_ONLY
		}
		if autoclear {
			cfg.Info.Flags |= unix.LO_FLAGS_AUTOCLEAR
		}
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if err == nil {
			return dev, f, nil
		}
		f.Close()
		if !errors.Is(err, unix.EBUSY) {
			return loopDevice{}, nil, fmt.Errorf("attach %s to %s: %w", file, dev.path(), err)
		}
		lastErr = err // another user took it first
	}
	return loopDevice{}, nil, fmt.Errorf("attach %s to a loop device: %w", file, lastErr)
}

// releaseLoops detaches every loop device backed by file. A device still
// in use (a lazy unmount, an open descriptor inside a dying machine) is
// marked to detach when its last user closes it.
func releaseLoops(file string) error {
	devs, err := loopsBacking(file)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range devs {
		f, err := os.OpenFile(d.path(), os.O_RDONLY, 0)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			errs = append(errs, fmt.Errorf("open %s: %w", d.path(), err))
			continue
		}
		err = unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.ENXIO) {
			errs = append(errs, fmt.Errorf("detach %s: %w", d.path(), err))
		}
	}
	return errors.Join(errs...)
}
