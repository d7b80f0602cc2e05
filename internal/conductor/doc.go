// Package conductor carries out cluster operations: a durable work queue
// (River) hands leased work items to level-triggered reconcilers that call
// the cluster's COE driver.
package conductor
